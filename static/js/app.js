// Small behaviours shared by every page. HTMX does the rest.
document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-copy]");
  if (!target) return;
  navigator.clipboard.writeText(target.dataset.copy).then(() => {
    target.textContent = "Copied";
  });
});

// The compose box's live counter (C5): characters and SMS segments, counted like
// texting/segments.py (GSM-7: 160, or 153 per part, extension characters cost two and are
// never split; anything else makes it UCS-2: 70, or 67 per part, surrogate pairs cost two).
function segmentInfo(text, basic, extension) {
  const chars = Array.from(text);
  const gsm = chars.every((ch) => basic.includes(ch) || extension.includes(ch));
  const costs = chars.map((ch) => (gsm ? (extension.includes(ch) ? 2 : 1) : ch.length));
  const [single, part] = gsm ? [160, 153] : [70, 67];
  const units = costs.reduce((sum, cost) => sum + cost, 0);
  if (units <= single) return { gsm, segments: 1 };
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > part) {
      segments += 1;
      used = 0;
    }
    used += cost;
  }
  return { gsm, segments };
}

document.addEventListener("input", (event) => {
  const box = event.target.closest("[data-segments]");
  if (!box) return;
  const output = box.form && box.form.querySelector(".compose__count");
  if (!output) return;
  const { gsm, segments } = segmentInfo(box.value, box.dataset.gsm7Basic, box.dataset.gsm7Extension);
  const length = box.value.length;
  output.textContent =
    `${length} character${length === 1 ? "" : "s"} · ${segments} segment${segments === 1 ? "" : "s"}` +
    (gsm ? "" : " (special characters: 70 per segment)");
});

// Keep a thread scrolled to its newest message when it grows, unless the reader scrolled up.
document.addEventListener("htmx:beforeSwap", (event) => {
  const scroller = document.getElementById("thread-scroll");
  if (!scroller || !scroller.contains(event.detail.target)) return;
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  // Earlier messages loaded above stay where the reader is looking.
  scroller.dataset.pinned = String(event.detail.target.id === "thread" && atBottom);
});
document.addEventListener("htmx:afterSettle", () => {
  const scroller = document.getElementById("thread-scroll");
  if (scroller && scroller.dataset.pinned === "true") scroller.scrollTop = scroller.scrollHeight;
  if (scroller) scroller.dataset.pinned = "";
});
document.addEventListener("DOMContentLoaded", () => {
  const scroller = document.getElementById("thread-scroll");
  if (scroller) scroller.scrollTop = scroller.scrollHeight;
});

// Settings > Notifications (S5, C9): this browser's Web Push subscription follows the
// "Push notifications" switch. Saving with it on asks for permission, registers /sw.js and
// subscribes with the server's VAPID key, then posts the subscription; saving with it off
// unsubscribes. The line under the switches says what this browser does.
(() => {
  const form = document.querySelector("[data-push-form]");
  if (!form) return;
  const state = document.getElementById("push-state");
  const turnOn = form.querySelector("[data-push-subscribe]");
  const pushBox = form.elements.namedItem("push");
  const csrf = form.elements.namedItem("csrfmiddlewaretoken").value;
  const key = form.dataset.vapidKey;
  const pushOn = form.dataset.pushOn === "true";
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  const say = (text) => {
    state.textContent = text;
  };

  const keyBytes = (base64url) => {
    const padded = base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (base64url.length % 4)) % 4);
    return Uint8Array.from(atob(padded), (ch) => ch.charCodeAt(0));
  };

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, error: data.error || {} };
  }

  async function existing() {
    const registration = await navigator.serviceWorker.getRegistration("/");
    return registration ? registration.pushManager.getSubscription() : null;
  }

  async function subscribe() {
    if (Notification.permission !== "granted") {
      // First thing in the click's handler: browsers ask only during a user gesture.
      const permission = await Notification.requestPermission();
      if (permission !== "granted") throw new Error(permission);
    }
    await navigator.serviceWorker.register(form.dataset.serviceWorker, { scope: "/" });
    const registration = await navigator.serviceWorker.ready;
    const options = { userVisibleOnly: true, applicationServerKey: keyBytes(key) };
    let subscription = await registration.pushManager.getSubscription();
    if (!subscription) subscription = await registration.pushManager.subscribe(options);
    let result = await post(form.dataset.subscribeUrl, subscription.toJSON());
    if (result.status === 409 && result.error.type === "endpoint_taken") {
      // This browser was subscribed for another account: a new subscription, a new endpoint.
      await subscription.unsubscribe();
      subscription = await registration.pushManager.subscribe(options);
      result = await post(form.dataset.subscribeUrl, subscription.toJSON());
    }
    if (!result.ok) throw new Error(result.error.message || "refused");
  }

  async function unsubscribe() {
    const subscription = await existing();
    if (!subscription) return;
    await post(form.dataset.unsubscribeUrl, { endpoint: subscription.endpoint }); // 404: already gone
    await subscription.unsubscribe();
  }

  function explain(error) {
    if (Notification.permission === "denied" || error.message === "denied") {
      return "Notifications are blocked for this site in this browser's settings.";
    }
    if (error.message === "default") return "This browser is not subscribed: permission was not given.";
    return "This browser is not subscribed.";
  }

  async function show() {
    if (!key) return; // the page already says push is not configured
    if (!supported) {
      say("This browser cannot receive push notifications.");
      return;
    }
    const subscription = await existing();
    if (subscription && !pushOn) {
      await unsubscribe(); // left over from before push was turned off elsewhere
    } else if (subscription) {
      // Post it again: the server may have dropped it (410, or push turned off elsewhere).
      const result = await post(form.dataset.subscribeUrl, subscription.toJSON());
      if (result.ok) {
        say("Push is on for this browser.");
        return;
      }
    }
    say(Notification.permission === "denied" ? explain(new Error("denied")) : "This browser is not subscribed.");
    if (turnOn) turnOn.hidden = !pushOn || Notification.permission === "denied";
  }

  form.addEventListener("submit", async (event) => {
    if (form.dataset.pushDone === "true" || !key || !supported || !pushBox || pushBox.disabled) return;
    event.preventDefault();
    try {
      if (pushBox.checked) await subscribe();
      else await unsubscribe();
    } catch (error) {
      // Saved all the same: the reloaded page says what this browser did.
    }
    form.dataset.pushDone = "true";
    form.submit();
  });

  if (turnOn) {
    turnOn.addEventListener("click", async () => {
      try {
        await subscribe();
        say("Push is on for this browser.");
        turnOn.hidden = true;
      } catch (error) {
        say(explain(error));
      }
    });
  }

  show().catch(() => say("This browser is not subscribed."));
})();

// A "Print" button (bills): data-print, since the CSP allows no inline handlers.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

// The compose box empties once its text went into the thread (the server answered with
// the new thread); after a refused send it keeps the text and shows the error.
document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt;
  if (!form || form.id !== "compose") return;
  if (!event.detail.successful || !event.detail.target || event.detail.target.id !== "thread") return;
  form.reset();
  const box = form.querySelector("[data-segments]");
  box.value = "";
  box.dispatchEvent(new Event("input", { bubbles: true }));
});
