// Add a module row to the course-plan formset from the empty-form template, then re-run the live checker.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector("[data-add-module]");
  var template = document.getElementById("module-template");
  var total = document.getElementById("id_m-TOTAL_FORMS");
  var list = document.getElementById("modules");
  var form = document.getElementById("plan-form");
  if (!button || !template || !total || !list || !form) {
    return;
  }
  button.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    list.appendChild(row);
    total.value = String(index + 1);
    if (window.htmx) {
      window.htmx.process(row);
      window.htmx.trigger(form, "change");
    }
    var title = row.querySelector("input[type=text]");
    if (title) {
      title.focus();
    }
  });
});
