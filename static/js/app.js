// Small behaviours shared by every page. HTMX does the rest.
document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-copy]");
  if (!target) return;
  navigator.clipboard.writeText(target.dataset.copy).then(() => {
    target.textContent = "Copied";
  });
});
