// The event form (E1, E2). All-day events take dates only; keep the end date from falling
// before the start. Enter in the contact search box picks nothing and never submits the
// form; each invited contact's Remove button takes the row out.
(() => {
  const form = document.getElementById("event-form");
  if (!form) return;
  const allDay = form.elements.namedItem("all_day");
  const startDate = form.elements.namedItem("start_date");
  const endDate = form.elements.namedItem("end_date");
  const sync = () => form.classList.toggle("is-all-day", allDay.checked);
  allDay.addEventListener("change", sync);
  startDate.addEventListener("change", () => {
    if (!endDate.value || endDate.value < startDate.value) endDate.value = startDate.value;
  });
  sync();

  // Delegated: the search box and the rows are swapped in by htmx.
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.id === "contact-search") event.preventDefault();
  });
  form.addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove-attendee]");
    if (button) button.closest(".attendee-row").remove();
  });
})();
