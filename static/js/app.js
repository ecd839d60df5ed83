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
