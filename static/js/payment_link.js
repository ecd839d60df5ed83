// A new payment link (B5): copy it with the Clipboard API; where that is missing or refused
// (plain http, an old browser), the link stays selected in its box for the user to copy by
// hand.
(() => {
  const box = document.getElementById("payment-link-url");
  const status = document.getElementById("copy-status");
  const button = document.getElementById("copy-link");
  if (!box || !status || !button) return;
  box.addEventListener("focus", () => box.select());
  button.addEventListener("click", async () => {
    box.focus();
    box.select();
    let copied = false;
    try {
      await navigator.clipboard.writeText(box.value);
      copied = true;
    } catch (error) {
      try { copied = document.execCommand("copy"); } catch (ignored) { copied = false; }
    }
    status.textContent = copied ? "Copied" : "Press Ctrl+C (or long-press and Copy) to copy the selected link.";
    status.classList.toggle("status--delivered", copied);
  });
})();
