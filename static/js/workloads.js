/*
 * The workload inspector: a DaemonSet's, StatefulSet's, Job's or CronJob's "Why" button shows
 * its status numbers and why the controllers acted in the same #pod-decision panel the other
 * inspectors use (its Refresh and Close buttons work for it too). Rows are re-rendered by
 * pushes, so clicks are caught once, on the document.
 */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-action='workload-inspect']") : null;
    var shell = document.querySelector("[data-lab]");
    var target = document.getElementById("pod-decision");
    if (!button || !shell || !target) { return; }
    var url = "/labs/" + encodeURIComponent(shell.dataset.lab) + "/workloads/" +
      encodeURIComponent(button.dataset.kind) + "/" + encodeURIComponent(button.dataset.namespace) + "/" +
      encodeURIComponent(button.dataset.name) + "/";
    target.textContent = "Loading " + button.dataset.namespace + "/" + button.dataset.name + "…";
    target.dataset.url = url;
    target.hidden = false;
    htmx.ajax("GET", url, { target: target, swap: "innerHTML" });
    target.scrollIntoView({ block: "start" });
  });
})();
