/*
 * The lab page's API-call stream: filter it, pause it on one call, trim it.
 *
 * The server sends new calls as rows inserted at the top of #api-call-list (an out-of-band
 * "afterbegin" swap). Here:
 * - Filters (component, resource, "hide heartbeats") hide the rows that do not match. A
 *   component filter matches that component and its parts ("kubelet" any node, "kubelet/worker-1"
 *   one node); "user:NAME" matches every client that authenticated as NAME. A resource filter
 *   matches that resource and its subresources ("pods" also matches "pods/binding").
 * - Clicking a call pauses the stream: new rows are held back (and counted) instead of
 *   inserted, and the call's details open (fetched from the lab). Resume inserts the held rows.
 * - The list keeps at most KEEP rows that match the filters and KEEP that do not: at a fast
 *   clock a few hundred calls arrive every second, and every row kept is layout work for the
 *   page on each insert.
 * The filter controls may be re-rendered by a push (new components seen): their state lives
 * here and is put back after every swap.
 */
(function () {
  "use strict";

  var KEEP = 150;
  var state = { component: "", resource: "", heartbeats: false, paused: false, held: [] };

  function list() { return document.getElementById("api-call-list"); }

  function rows(container) {
    return Array.prototype.filter.call(container.children, function (el) {
      return el.classList && el.classList.contains("call");
    });
  }

  function partOf(value, wanted) {
    return value === wanted || value.indexOf(wanted + "/") === 0;
  }

  function matches(row) {
    var data = row.dataset;
    if (state.heartbeats && data.heartbeat) { return false; }
    if (row.classList.contains("call--gap")) { return !state.component && !state.resource; }
    var component = state.component;
    if (component) {
      if (component.indexOf("user:") === 0) {
        if (data.user !== component.slice(5)) { return false; }
      } else if (!partOf(data.component || "", component)) {
        return false;
      }
    }
    return !state.resource || partOf(data.resource || "", state.resource);
  }

  function applyFilters(container) {
    rows(container).forEach(function (row) { row.hidden = !matches(row); });
  }

  function trim(container) {
    var shown = 0, hidden = 0;
    rows(container).forEach(function (row) {
      var count = matches(row) ? ++shown : ++hidden;
      if (count > KEEP) { row.remove(); }
    });
  }

  function heldCount() {
    return state.held.reduce(function (sum, row) {
      if (!matches(row)) { return sum; }
      return sum + (row.classList.contains("call--gap") ? Number(row.dataset.skipped || 0) : 1);
    }, 0);
  }

  function showHeld() {
    var label = document.querySelector("#api-call-paused .flow__held");
    if (label) {
      var n = heldCount();
      label.textContent = n + (n === 1 ? " new call" : " new calls");
    }
  }

  function syncControls() {
    var component = document.getElementById("api-filter-component");
    var resource = document.getElementById("api-filter-resource");
    var heartbeats = document.getElementById("api-hide-heartbeats");
    if (component && component.value !== state.component) { component.value = state.component; }
    if (resource && resource.value !== state.resource) { resource.value = state.resource; }
    if (heartbeats) { heartbeats.checked = state.heartbeats; }
    var banner = document.getElementById("api-call-paused");
    if (banner) { banner.hidden = !state.paused; }
  }

  // The call's details come from the server (the lab's audit log), rendered by one partial.
  function inspect(row) {
    var detail = document.getElementById("api-call-detail");
    var shell = document.querySelector("[data-lab]");
    if (!detail || !row || !shell) { return; }
    document.querySelectorAll("#api-call-list .call--selected").forEach(function (el) {
      el.classList.remove("call--selected");
    });
    row.classList.add("call--selected");
    detail.textContent = "Loading call #" + row.dataset.seq + "…";
    detail.hidden = false;
    state.paused = true;
    showHeld();
    syncControls();
    var url = "/labs/" + encodeURIComponent(shell.dataset.lab) + "/api-calls/" +
      encodeURIComponent(row.dataset.seq) + "/";
    htmx.ajax("GET", url, { target: detail, swap: "innerHTML" });
  }

  function resume() {
    var container = list();
    state.paused = false;
    if (container) {
      container.querySelectorAll(".call--selected").forEach(function (el) {
        el.classList.remove("call--selected");
      });
      var newest = container.firstElementChild;
      state.held.forEach(function (row) {
        row.hidden = !matches(row);
        container.insertBefore(row, newest);
      });
      trim(container);
    }
    state.held = [];
    var detail = document.getElementById("api-call-detail");
    if (detail) {
      detail.hidden = true;
      detail.replaceChildren();
    }
    syncControls();
  }

  document.addEventListener("click", function (event) {
    var control = event.target.closest ? event.target.closest("[data-action]") : null;
    if (!control) { return; }
    if (control.dataset.action === "api-inspect") {
      inspect(control.closest(".call"));
    } else if (control.dataset.action === "api-resume") {
      resume();
    }
  });

  document.addEventListener("change", function (event) {
    var filter = event.target.dataset ? event.target.dataset.filter : null;
    if (!filter) { return; }
    if (filter === "heartbeats") {
      state.heartbeats = event.target.checked;
    } else {
      state[filter] = event.target.value;
    }
    var container = list();
    if (container) {
      applyFilters(container);
      if (!state.paused) { trim(container); }
    }
    showHeld();
  });

  // New calls: drop the ones already shown (a reconnect may overlap), filter the rest, and
  // hold them back while paused.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var detail = event.detail || {};
    if (!detail.target || detail.target.id !== "api-call-list" || !detail.fragment) { return; }
    var container = detail.target;
    var newest = container.querySelector(".call[data-seq]");
    var last = newest ? Number(newest.dataset.seq) : 0;
    var incoming = rows(detail.fragment);
    incoming.forEach(function (row) {
      if (row.dataset.seq && Number(row.dataset.seq) <= last) {
        row.remove();
      } else {
        row.hidden = !matches(row);
      }
    });
    if (state.paused) {
      state.held = rows(detail.fragment).concat(state.held).slice(0, 2 * KEEP);
      detail.shouldSwap = false;
      showHeld();
    } else {
      window.setTimeout(function () { trim(container); }, 0);
    }
  });

  // A re-rendered panel or filter list: put the learner's choices back.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var id = event.target && event.target.id;
    if (id === "api-filters") {
      syncControls();
    } else if (id === "api-calls") {
      state.held = [];
      state.paused = false;
      syncControls();
      applyFilters(list());
    }
  });
})();
