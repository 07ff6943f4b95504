/*
 * The timeline scrubber: drag to an earlier virtual time and the cluster map shows the lab as it
 * was then (a read-only page the server rebuilds by replaying the lab's command log), in place of
 * the live map; "Back to live" returns. The scrubber's end follows the live clock.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 250;

  function parts() {
    var panel = document.querySelector(".rewind");
    if (!panel) {
      return null;
    }
    return {
      panel: panel,
      map: panel.closest(".map"),
      range: panel.querySelector(".rewind__range"),
      output: panel.querySelector("output"),
      live: panel.querySelector("[data-testid=back-to-live]"),
      frame: panel.querySelector(".rewind__frame"),
    };
  }

  function clockText(seconds) {
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(Math.floor(seconds / 3600)) + ":" + pad(Math.floor((seconds % 3600) / 60)) + ":" + pad(seconds % 60);
  }

  function liveSeconds() {
    var time = document.querySelector("#clock time");
    var match = time ? /^PT(\d+)S$/.exec(time.getAttribute("datetime") || "") : null;
    return match ? parseInt(match[1], 10) : 0;
  }

  function backToLive(p) {
    p.frame.hidden = true;
    p.frame.removeAttribute("src");
    p.live.hidden = true;
    p.map.classList.remove("map--rewinding");
    p.range.max = String(liveSeconds());
    p.range.value = p.range.max;
    p.output.textContent = clockText(liveSeconds());
  }

  var timer = null;

  document.addEventListener("input", function (event) {
    var p = parts();
    if (!p || event.target !== p.range) {
      return;
    }
    var seconds = parseInt(p.range.value, 10);
    p.output.textContent = clockText(seconds);
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      if (seconds >= parseInt(p.range.max, 10)) {
        backToLive(p);
        return;
      }
      p.frame.src = p.panel.getAttribute("data-rewind-url") + "?t=" + seconds;
      p.frame.hidden = false;
      p.live.hidden = false;
      p.map.classList.add("map--rewinding");
    }, DEBOUNCE_MS);
  });

  document.addEventListener("click", function (event) {
    var p = parts();
    if (p && event.target === p.live) {
      backToLive(p);
    }
  });

  // Keep the scrubber's end at the live clock; while live, its thumb follows.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var p = parts();
    var target = event.detail && event.detail.target;
    if (!p || !target || target.id !== "clock") {
      return;
    }
    var now = liveSeconds();
    var atEnd = p.range.value === p.range.max;
    p.range.max = String(now);
    if (atEnd && p.frame.hidden) {
      p.range.value = String(now);
      p.output.textContent = clockText(now);
    }
  });
})();
