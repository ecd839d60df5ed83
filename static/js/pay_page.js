// The pay page (B5). One click pays once: the button turns off as the form goes (the
// attempt key makes a resubmission one payment anyway), and on again if the page is shown
// from history.
(() => {
  const form = document.getElementById("pay-form");
  const button = document.getElementById("pay-button");
  if (!form || !button) return;
  form.addEventListener("submit", (event) => {
    if (button.disabled) {
      event.preventDefault();
      return;
    }
    button.disabled = true;
    button.textContent = "Paying…";
  });
  window.addEventListener("pageshow", () => {
    button.disabled = false;
    button.textContent = "Pay";
  });
})();
