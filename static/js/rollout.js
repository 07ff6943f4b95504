/*
 * The rollout inspector: a Deployment row's "Rollout" button shows the Deployment's
 * surge/unavailable arithmetic with live numbers (and why its controllers acted) in the same
 * #pod-decision panel the scheduler's decisions use; that panel's Refresh and Close buttons
 * work for it too. Rows are re-rendered by pushes, so clicks are caught once, on the document.
 */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-action='rollout-inspect']") : null;
    var shell = document.querySelector("[data-lab]");
    var target = document.getElementById("pod-decision");
    if (!button || !shell || !target) { return; }
    var url = "/labs/" + encodeURIComponent(shell.dataset.lab) + "/deployments/" +
      encodeURIComponent(button.dataset.namespace) + "/" + encodeURIComponent(button.dataset.deployment) + "/rollout/";
    target.textContent = "Loading the rollout of Deployment " + button.dataset.namespace + "/" + button.dataset.deployment + "…";
    target.dataset.url = url;
    target.hidden = false;
    htmx.ajax("GET", url, { target: target, swap: "innerHTML" });
    target.scrollIntoView({ block: "start" });
  });
})();
