/*
 * The pod decision view: clicking a pod's name (on a node card or in the Pending panel) asks
 * the lab for the scheduler's decision about it and shows it in #pod-decision. Pod chips are
 * re-rendered by every push, so clicks are caught once, on the document. An autoscaled
 * Deployment's "HPA" button shows its HorizontalPodAutoscaler's formula in the same panel.
 */
(function () {
  "use strict";

  function panel() { return document.getElementById("pod-decision"); }

  function load(url) {
    var target = panel();
    if (!target) { return; }
    target.dataset.url = url;
    target.hidden = false;
    htmx.ajax("GET", url, { target: target, swap: "innerHTML" });
  }

  function open(chip) {
    var shell = document.querySelector("[data-lab]");
    var target = panel();
    if (!chip || !shell || !target) { return; }
    var url = "/labs/" + encodeURIComponent(shell.dataset.lab) + "/pods/" +
      encodeURIComponent(chip.dataset.namespace) + "/" + encodeURIComponent(chip.dataset.pod) + "/scheduling/";
    target.textContent = "Loading the scheduler's decision for " + chip.dataset.namespace + "/" + chip.dataset.pod + "…";
    load(url);
    target.scrollIntoView({ block: "start" });
  }

  // An autoscaled Deployment's row opens its HPA's inspector in the same panel.
  function openHpa(button) {
    var shell = document.querySelector("[data-lab]");
    var target = panel();
    if (!shell || !target) { return; }
    var url = "/labs/" + encodeURIComponent(shell.dataset.lab) + "/hpas/" +
      encodeURIComponent(button.dataset.namespace) + "/" + encodeURIComponent(button.dataset.hpa) + "/";
    target.textContent = "Loading HorizontalPodAutoscaler " + button.dataset.namespace + "/" + button.dataset.hpa + "…";
    load(url);
    target.scrollIntoView({ block: "start" });
  }

  document.addEventListener("click", function (event) {
    var control = event.target.closest ? event.target.closest("[data-action]") : null;
    if (!control) { return; }
    var action = control.dataset.action;
    if (action === "pod-scheduling") {
      open(control.closest(".pod"));
    } else if (action === "hpa-inspect") {
      openHpa(control);
    } else if (action === "pod-decision-refresh") {
      var target = panel();
      if (target && target.dataset.url) { load(target.dataset.url); }
    } else if (action === "pod-decision-close") {
      var shown = panel();
      if (shown) {
        shown.hidden = true;
        shown.replaceChildren();
      }
    }
  });
})();
