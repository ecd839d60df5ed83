// A conversation's "Add time for selected messages…" (C12). Choosing it in Actions turns on
// selection mode: a checkbox on every bubble and a bar with the count, "Add time for N
// messages" and Cancel. The bar is a GET form to the time entry page; each checkbox belongs
// to it (`form=`), so a ticked one sends `messages=<uuid>`.
//
// The chosen uuids live here, not in the checkboxes: the thread is replaced every few
// seconds by polling, after a send or a retry, and earlier messages load as the reader
// scrolls up. A MutationObserver puts checkboxes (ticked as before) on whatever bubbles
// arrive, in the same task as the swap, so nothing flickers. Off, the page is untouched.
(() => {
  const start = document.getElementById("select-messages");
  const bar = document.getElementById("select-bar");
  const scroller = document.getElementById("thread-scroll");
  if (!start || !bar || !scroller) return;
  const count = bar.querySelector("[data-select-count]");
  const add = bar.querySelector("[data-select-add]");
  const cancel = bar.querySelector("[data-select-cancel]");
  const selected = new Set();
  let focused = null; // the uuid whose checkbox had the focus when the thread was swapped
  const observer = new MutationObserver(() => decorate());

  const on = () => !bar.hidden;
  const bubbles = () => scroller.querySelectorAll(".bubble[data-message]");
  const boxOf = (bubble) => bubble.querySelector(":scope > .bubble__select input");

  function checkbox(uuid) {
    const label = document.createElement("label");
    label.className = "bubble__select";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "messages";
    box.value = uuid;
    box.setAttribute("form", bar.id);
    const text = document.createElement("span");
    text.className = "visually-hidden";
    text.textContent = "Select this message";
    label.append(box, text);
    return label;
  }

  function decorate() {
    const lostFocus = !document.activeElement || document.activeElement === document.body;
    for (const bubble of bubbles()) {
      const uuid = bubble.dataset.message;
      let box = boxOf(bubble);
      if (!box) {
        bubble.prepend(checkbox(uuid));
        box = boxOf(bubble);
        if (lostFocus && uuid === focused) {
          box.focus({ preventScroll: true });
          focused = null;
        }
      }
      box.checked = selected.has(uuid);
    }
  }

  function show() {
    const n = selected.size;
    count.textContent = `${n} selected`;
    add.textContent = `Add time for ${n} message${n === 1 ? "" : "s"}`;
    add.disabled = n === 0;
  }

  start.addEventListener("click", () => {
    const menu = start.closest("details");
    if (menu) menu.open = false;
    bar.hidden = false;
    scroller.classList.add("is-selecting");
    decorate();
    observer.observe(scroller, { childList: true, subtree: true });
    show();
    const all = bubbles();
    if (all.length) boxOf(all[all.length - 1]).focus();
  });

  cancel.addEventListener("click", () => {
    observer.disconnect();
    selected.clear();
    focused = null;
    bar.hidden = true;
    scroller.classList.remove("is-selecting");
    for (const label of scroller.querySelectorAll(".bubble__select")) label.remove();
    show();
    const summary = start.closest("details")?.querySelector("summary");
    if (summary) summary.focus();
  });

  scroller.addEventListener("change", (event) => {
    const box = event.target.closest(".bubble__select input");
    if (!box) return;
    if (box.checked) selected.add(box.value);
    else selected.delete(box.value);
    show();
  });

  // A swap takes the focused checkbox away; its replacement gets the focus back.
  document.addEventListener("htmx:beforeSwap", () => {
    const active = document.activeElement;
    const inThread = active && scroller.contains(active) && active.matches(".bubble__select input");
    focused = inThread ? active.value : null;
  });

  // A click anywhere on a bubble ticks it, except on its links, players and Retry, or
  // when the reader is selecting text to copy.
  scroller.addEventListener("click", (event) => {
    if (!on() || window.getSelection().toString()) return;
    if (event.target.closest("a, button, input, label, audio, video, iframe, form")) return;
    const bubble = event.target.closest(".bubble[data-message]");
    const box = bubble && boxOf(bubble);
    if (!box) return;
    box.checked = !box.checked;
    box.dispatchEvent(new Event("change", { bubbles: true }));
  });
})();
