/* Future Video Studio: small progressive enhancements; every page works without this file.
 *
 * 1. Forms with data-confirm ask before they submit (delegated, so swapped-in forms work too).
 * 2. A project page whose render is still running follows the render's event stream
 *    (EventSource on #live's data-events-url) and, on each event, re-fetches itself and swaps
 *    in the new #live region. When the stream drops it falls back to re-fetching about once a
 *    second (#live's data-feed says which: "stream" or "polling"). Parts whose data-version is
 *    unchanged are kept as they are, so a clip that is playing keeps playing and a focused
 *    button keeps its focus.
 * 3. The new-project form's "Add a shot" / "Add a file" buttons copy the last row, emptied,
 *    with fresh ids. Without this file the form still posts the rows it was drawn with.
 * 4. The settings page's "Copy" button copies a new key (the field stays selectable without).
 *
 * The pages carry no inline script, handler or style attribute: the Content-Security-Policy
 * (script-src 'self') would block them. Behaviour lives here, keyed on ids and data-*.
 */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var RETRY_MS = 4000;

  function addRow(kind) {
    var rows = document.querySelector('[data-rows="' + kind + '"]');
    var last = rows && rows.lastElementChild;
    if (!last) {
      return;
    }
    var index = rows.children.length;
    var row = last.cloneNode(true);
    row.querySelectorAll("[id]").forEach(function (el) {
      el.id = el.id.replace(/-\d+$/, "-" + index);
    });
    row.querySelectorAll("label[for]").forEach(function (el) {
      el.htmlFor = el.htmlFor.replace(/-\d+$/, "-" + index);
    });
    row.querySelectorAll(".field-error").forEach(function (el) {
      el.remove();
    });
    row.querySelectorAll("input, select").forEach(function (el) {
      el.value = "";
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
    var title = row.querySelector("label");
    if (/^Shot \d+$/.test(title.textContent)) {
      title.textContent = "Shot " + (index + 1);
    }
    rows.appendChild(row);
    row.querySelector("input").focus();
  }

  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      addRow(button.getAttribute("data-add-row"));
    });
  });

  function copyKey() {
    var field = document.getElementById("new-key");
    var status = document.getElementById("copy-status");
    field.select();
    var done = function () { status.textContent = "Copied."; };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        status.textContent = "Press Ctrl+C (or Cmd+C) to copy.";
      });
    } else if (document.execCommand("copy")) {
      done();
    }
  }

  var copyButton = document.getElementById("copy-key");
  if (copyButton) {
    copyButton.addEventListener("click", copyKey);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  var live = document.getElementById("live");
  if (!live || live.getAttribute("data-terminal") === "true") {
    return;
  }

  function syncProgress(fresh) {
    ["progress-label", "progress-percent"].forEach(function (id) {
      var now = document.getElementById(id);
      var next = fresh.getElementById(id);
      if (now && next && now.textContent !== next.textContent) {
        now.textContent = next.textContent;
      }
    });
    var bar = document.getElementById("progress-bar");
    var nextBar = fresh.getElementById("progress-bar");
    if (bar && nextBar) {
      bar.value = Number(nextBar.getAttribute("value"));
      bar.textContent = nextBar.textContent;
    }
    var box = document.getElementById("progress");
    var nextBox = fresh.getElementById("progress");
    if (box && nextBox) {
      box.className = nextBox.className;
    }
  }

  function swapLive(freshLive) {
    var active = document.activeElement;
    freshLive.querySelectorAll("[data-version]").forEach(function (node) {
      if (!freshLive.contains(node) || !node.id) {
        return; // inside a part already kept whole
      }
      var old = document.getElementById(node.id);
      if (old && live.contains(old) &&
          old.getAttribute("data-version") === node.getAttribute("data-version")) {
        node.replaceWith(old);
      }
    });
    live.replaceChildren.apply(live, Array.prototype.slice.call(freshLive.childNodes));
    live.setAttribute("data-status", freshLive.getAttribute("data-status") || "");
    live.setAttribute("data-terminal", freshLive.getAttribute("data-terminal") || "false");
    if (active && active !== document.activeElement && document.contains(active)) {
      active.focus({ preventScroll: true });
    }
  }

  function schedule(ms) {
    window.setTimeout(poll, ms);
  }

  // Fetch the page and swap #live in; resolves true when the render has ended.
  function refresh() {
    return fetch(window.location.pathname, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.redirected) {
          return null; // signed out meanwhile: stop; a reload shows the login page
        }
        if (!response.ok) {
          throw new Error("status page answered " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (html === null) {
          return true;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var freshLive = fresh.getElementById("live");
        if (!freshLive) {
          throw new Error("no #live region in the page");
        }
        syncProgress(fresh);
        swapLive(freshLive);
        return freshLive.getAttribute("data-terminal") === "true";
      });
  }

  function poll() {
    live.setAttribute("data-feed", "polling");
    if (document.hidden) {
      schedule(POLL_MS);
      return;
    }
    refresh()
      .then(function (ended) {
        if (!ended) {
          schedule(POLL_MS);
        }
      })
      .catch(function () {
        schedule(RETRY_MS);
      });
  }

  var EVENTS = [
    "render.stage_changed", "render.shot_changed", "render.progress",
    "render.halted_for_review", "render.completed", "render.failed", "render.cancelled"
  ];
  var TERMINAL = ["render.completed", "render.failed", "render.cancelled"];

  // One refresh at a time; events that arrive meanwhile ask for one more, not one each.
  function refresher() {
    var busy = false;
    var again = false;
    function run() {
      busy = true;
      again = false;
      refresh().catch(function () { return false; }).then(function () {
        busy = false;
        if (again) {
          run();
        }
      });
    }
    return function () {
      if (busy) {
        again = true;
      } else {
        run();
      }
    };
  }

  function follow() {
    var url = live.getAttribute("data-events-url");
    if (!url || !window.EventSource) {
      schedule(POLL_MS);
      return;
    }
    var source = new EventSource(url);
    var update = refresher();
    live.setAttribute("data-feed", "stream");
    EVENTS.forEach(function (type) {
      source.addEventListener(type, function () {
        if (TERMINAL.indexOf(type) >= 0) {
          source.close(); // the server ends the stream here; no reconnect
        }
        update();
      });
    });
    source.addEventListener("error", function () {
      // The stream dropped (server restart, proxy, network): poll instead.
      source.close();
      if (live.getAttribute("data-terminal") !== "true") {
        schedule(POLL_MS);
      }
    });
  }

  follow();
})();
