// The contact form: "Add a phone number / email" rows, and name fields that follow the type.
(() => {
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-formset-add]");
    if (!button) return;
    const prefix = button.dataset.formsetAdd;
    const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
    const template = document.querySelector(`template[data-formset-template="${prefix}"]`);
    const body = document.querySelector(`[data-formset-body="${prefix}"]`);
    if (!total || !template || !body) return;
    const index = Number(total.value);
    body.insertAdjacentHTML("beforeend", template.innerHTML.replaceAll("__prefix__", String(index)));
    total.value = String(index + 1);
    const added = body.lastElementChild && body.lastElementChild.querySelector("input:not([type=checkbox]), select");
    if (added) added.focus();
  });

  const showFieldsForType = () => {
    const checked = document.querySelector("input[name=type]:checked");
    const isCompany = checked && checked.value === "company";
    document.querySelectorAll("[data-person-only]").forEach((el) => { el.hidden = isCompany; });
    const company = document.querySelector("[data-company-label]");
    if (company) company.textContent = isCompany ? "Company name" : "Company";
  };
  document.addEventListener("change", (event) => {
    if (event.target.matches("input[name=type]")) showFieldsForType();
  });
  document.addEventListener("DOMContentLoaded", showFieldsForType);
})();
