/*
 * kubectl console: command history on ↑/↓ (kept for this tab in sessionStorage) and Tab
 * completion (asks the server, which knows the lab's kinds and object names).
 */
(function () {
  "use strict";

  var KEY = "clusterlab-console-history";

  function history() {
    try {
      return JSON.parse(sessionStorage.getItem(KEY) || "[]");
    } catch (e) {
      return [];
    }
  }

  function remember(command) {
    var list = history().filter(function (c) { return c !== command; });
    list.push(command);
    sessionStorage.setItem(KEY, JSON.stringify(list.slice(-200)));
  }

  function setup(input) {
    var position = null;
    var draft = "";
    var form = input.form;
    var console_ = input.closest(".console");
    var hints = document.getElementById("console-completions");

    form.addEventListener("htmx:beforeRequest", function () {
      var command = input.value.trim();
      if (command) {
        remember(command);
      }
      position = null;
      hints.textContent = "";
    });

    input.addEventListener("keydown", function (event) {
      var list = history();
      if (event.key === "ArrowUp" || event.key === "ArrowDown") {
        if (!list.length) {
          return;
        }
        event.preventDefault();
        if (position === null) {
          draft = input.value;
          position = list.length;
        }
        position += event.key === "ArrowUp" ? -1 : 1;
        position = Math.max(0, Math.min(list.length, position));
        input.value = position === list.length ? draft : list[position];
        return;
      }
      if (event.key === "Tab" && !event.shiftKey) {
        event.preventDefault();
        var url = console_.getAttribute("data-complete-url") +
          "?line=" + encodeURIComponent(input.value) + "&cursor=" + input.selectionStart;
        fetch(url, { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : { completions: [] }; })
          .then(function (data) {
            var options = data.completions || [];
            if (options.length === 1) {
              input.value = data.line;
              input.setSelectionRange(data.cursor, data.cursor);
              hints.textContent = "";
            } else {
              hints.textContent = options.slice(0, 40).join("  ");
            }
          });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var input = document.getElementById("console-input");
    if (input) {
      setup(input);
    }
  });
})();
