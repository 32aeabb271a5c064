// Kwik dashboard: the dialog, copy buttons, the one-time reveal and small form helpers.
// Everything here is an enhancement: without JavaScript every action works through full pages.
(function () {
  "use strict";

  const modal = () => document.getElementById("modal");
  const modalContent = () => document.getElementById("modal-content");
  // Where the focus goes when the dialog closes: the control that opened it, or a function that finds
  // the control to use (a swapped row's new action exists only after the swap). It is kept until
  // another control opens the dialog: a reveal that arrives after an early Escape reopens the dialog,
  // and its Done must still lead back there.
  let opener = null;

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function showFlash(message, kind) {
    const region = document.getElementById("flash");
    if (!region) return;
    const p = document.createElement("p");
    p.className = "callout " + (kind || "success");
    p.textContent = message;
    region.replaceChildren(p);
  }

  // Whether Tab stops at a radio button: a group is one stop, at its checked radio (or its first
  // when none is checked), as the browser does it.
  function radioStop(radio, root) {
    if (radio.checked) return true;
    const group = Array.from(root.querySelectorAll("input[type=radio]"))
      .filter((r) => r.name === radio.name && r.form === radio.form);
    return !group.some((r) => r.checked) && group[0] === radio;
  }

  // What Tab can reach inside `root`, in order.
  function tabbables(root) {
    return Array.from(root.querySelectorAll(
      "a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex='-1'])"
    )).filter((el) => !el.disabled && el.type !== "hidden" && el.getClientRects().length > 0 &&
      (el.type !== "radio" || radioStop(el, root)));
  }

  // A modal dialog keeps the focus: Tab from its last control wraps to its first, and back.
  // (Chromium's native <dialog> otherwise lets Tab leave for the browser's own toolbar.)
  function trapFocus(dialog, event) {
    if (event.key !== "Tab" || !dialog.open) return;
    const items = tabbables(dialog);
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    const active = document.activeElement;
    const outside = !dialog.contains(active);
    if (event.shiftKey && (active === first || outside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || outside)) {
      event.preventDefault();
      first.focus();
    }
  }

  // The first field to fix when the form came back with errors, else the autofocus field, else the
  // first control. In a radio group that is the chosen radio, as Tab would pick: focusing the first
  // one would leave Space one press away from choosing it (Roll's "Stop now").
  function focusFirst(root) {
    const target = root.querySelector("[aria-invalid='true'], .has-error input:not([type=hidden])") ||
      root.querySelector("[autofocus]") ||
      root.querySelector("input:not([type=hidden]):not([type=radio]):not([disabled]), input[type=radio]:checked:not([disabled]), " +
        "button:not([disabled]), a[href], [tabindex]:not([tabindex='-1'])");
    if (target) target.focus();
  }

  // What opens the dialog: anything marked so, and the token table's row actions, known by their place
  // (fifty rows a page, four actions each, so the rows do not repeat the mark).
  const OPENERS = "[data-opens-dialog], #token-rows .row-menu-list a[href]";

  // The name a person hears for a control.
  const nameOf = (el) => (el.getAttribute("aria-label") || el.textContent).trim().replace(/\s+/g, " ");

  // The control to give the focus back to. A swap may have replaced the opener with a copy of itself
  // (the reveal after Roll redraws the table): then the copy, the opener with the same address and
  // the same name (the address names the token, so two tokens with one name cannot be confused).
  function returnTarget(target) {
    if (!target || target.isConnected) return target;
    const href = target.getAttribute("href");
    return Array.from(document.querySelectorAll(OPENERS + ", .row-menu-toggle"))
      .find((el) => el.getAttribute("href") === href && nameOf(el) === nameOf(target)) || null;
  }

  // What closing the dialog does: the content (a secret, a password) leaves the page, and the focus
  // goes back to what opened it, or to its copy in a redrawn table.
  function closed() {
    modalContent().replaceChildren();
    const target = returnTarget(typeof opener === "function" ? opener() : opener);
    const back = target && target.isConnected ? target : document.getElementById("create-token");
    if (back) back.focus();
  }

  function revealUnconfirmed(root) {
    const reveal = root.querySelector("[data-reveal]");
    if (!reveal) return false;
    const box = reveal.querySelector("[data-stored-confirm]");
    return !(box && box.checked);
  }

  // What each form in the dialog held when it arrived, to know whether anything was typed since.
  const initial = new WeakMap();
  const formState = (form) => new URLSearchParams(new FormData(form)).toString();

  // Whether the dialog holds input that closing it would lose.
  function edited(dialog) {
    // A form that came back with errors holds what was typed before it was sent.
    return Array.from(dialog.querySelectorAll("form")).some((form) =>
      (initial.has(form) && initial.get(form) !== formState(form)) || form.querySelector("#form-errors"));
  }

  // Escape or a click outside the dialog: closing it must never lose credentials not yet stored,
  // nor what was typed without asking. Both ways behave the same.
  function requestClose(dialog) {
    if (revealUnconfirmed(dialog)) {
      const box = dialog.querySelector("[data-stored-confirm]");
      if (box) box.focus();
      return;
    }
    const asking = dialog.querySelector("[data-discard-prompt]");
    if (asking) { keepEditing(asking); return; }
    if (!edited(dialog)) { dialog.close(); return; }
    const prompt = document.createElement("div");
    prompt.className = "callout warning discard-prompt";
    prompt.setAttribute("role", "alert");
    prompt.dataset.discardPrompt = "";
    prompt.innerHTML = "<p>Discard what you typed? It has not been saved.</p>" +
      '<button type="button" class="button secondary">Keep editing</button>' +
      '<button type="button" class="button danger">Discard</button>';
    const [keep, discard] = prompt.querySelectorAll("button");
    keep.addEventListener("click", () => keepEditing(prompt));
    discard.addEventListener("click", () => dialog.close());
    modalContent().prepend(prompt);
    dialog.scrollTop = 0;
    keep.focus();
  }

  function keepEditing(prompt) {
    const root = prompt.parentElement;
    prompt.remove();
    if (root) focusFirst(root);
  }

  // Wires up whatever `root` holds: reveal controls, copy buttons, select-all.
  function enhance(root) {
    root.querySelectorAll("[data-copy]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", async () => {
        const source = document.getElementById(button.dataset.copy);
        const status = root.querySelector("[data-copy-status]") || document.querySelector("[data-copy-status]");
        try {
          await navigator.clipboard.writeText(source.textContent.trim());
          const label = button.textContent;
          button.textContent = "Copied";
          button.classList.add("copied");
          if (status) status.textContent = button.getAttribute("aria-label").replace("Copy ", "") + " copied to the clipboard.";
          setTimeout(() => { button.textContent = label; button.classList.remove("copied"); }, 2000);
        } catch (e) {
          if (status) status.textContent = "Copying failed: select the value and copy it by hand.";
          const range = document.createRange();
          range.selectNodeContents(source);
          const sel = window.getSelection();
          sel.removeAllRanges();
          sel.addRange(range);
        }
      });
    });

    // Saves an element's text as a file (the recovery codes), made in the page: nothing is fetched again.
    root.querySelectorAll("[data-download-text]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", () => {
        const source = document.getElementById(button.dataset.downloadText);
        const text = Array.from(source.querySelectorAll("li")).map((li) => li.textContent.trim()).join("\n") + "\n";
        const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
        const a = document.createElement("a");
        a.href = url;
        a.download = button.dataset.filename || "download.txt";
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
      });
    });

    root.querySelectorAll("[data-download-env]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", () => {
        const value = (name) => {
          const el = document.querySelector('[data-credential="' + name + '"]');
          return el ? el.textContent.trim() : "";
        };
        // After a roll that kept the key, only the new secret (and the public key) are on the page.
        const text = ["api_key", "api_secret", "public_key"]
          .filter((name) => value(name) !== "")
          .map((name) => name.toUpperCase() + "=" + value(name) + "\n")
          .join("");
        const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
        const a = document.createElement("a");
        a.href = url;
        a.download = "kwik-credentials.env";
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
      });
    });

    root.querySelectorAll("[data-done-form]").forEach((form) => {
      const box = form.querySelector("[data-stored-confirm]");
      const done = form.querySelector("[data-done]");
      const sync = () => { done.disabled = !box.checked; };
      box.addEventListener("change", sync);
      sync();
      form.addEventListener("submit", (event) => {
        if (!box.checked) { event.preventDefault(); return; }
        const dialog = form.closest("dialog");
        if (dialog) { event.preventDefault(); dialog.close(); }
      });
    });

    // The last day is asked for only with "On a date"; with any other choice it is put away (and not
    // sent, so it cannot contradict the choice). A date typed in anyway means "On a date".
    root.querySelectorAll("[data-expiry-date]").forEach((box) => {
      const date = box.querySelector("input[type=date]");
      const radios = Array.from(box.closest("fieldset").querySelectorAll('input[name="expiry"]'));
      const custom = radios.find((r) => r.value === "custom");
      const sync = () => {
        const on = Boolean(custom && custom.checked);
        box.hidden = !on;
        date.disabled = !on;
      };
      radios.forEach((r) => r.addEventListener("change", sync));
      date.addEventListener("input", () => {
        if (custom && date.value && !custom.checked) { custom.checked = true; sync(); }
      });
      sync();
    });

    root.querySelectorAll("[data-select-all]").forEach((all) => {
      const label = all.closest("label");
      if (label) label.hidden = false;
      const fieldset = all.closest("fieldset");
      const boxes = () => Array.from(fieldset.querySelectorAll('input[name="' + all.dataset.selectAll + '"]'));
      const sync = () => {
        const checked = boxes().filter((b) => b.checked).length;
        all.checked = checked === boxes().length;
        all.indeterminate = checked > 0 && checked < boxes().length;
      };
      all.addEventListener("change", () => { boxes().forEach((b) => { b.checked = all.checked; }); sync(); });
      boxes().forEach((b) => b.addEventListener("change", sync));
      sync();
    });

    root.querySelectorAll("form").forEach((form) => initial.set(form, formState(form)));
  }

  document.addEventListener("DOMContentLoaded", () => {
    enhance(document);
    // A full page that came back with a field error (the support console's reason) starts at that
    // field, not at the page's autofocus: focusing first makes the browser skip its autofocus.
    const invalid = document.querySelector("main [aria-invalid='true']");
    if (invalid) invalid.focus();
    const dialog = modal();
    if (!dialog) return;

    dialog.addEventListener("cancel", (event) => {
      // Escape must not throw away credentials that were not stored yet, nor typed input unasked.
      event.preventDefault();
      requestClose(dialog);
    });

    // A click on the backdrop (outside the dialog's box) is Escape by mouse.
    dialog.addEventListener("click", (event) => {
      if (event.target !== dialog) return;
      const box = dialog.getBoundingClientRect();
      const inside = event.clientX >= box.left && event.clientX <= box.right &&
        event.clientY >= box.top && event.clientY <= box.bottom;
      if (!inside) requestClose(dialog);
    });

    dialog.addEventListener("keydown", (event) => trapFocus(dialog, event));

    // Closing is handled in the task that closed the dialog, not on its close event: Chromium fires
    // that at the next animation frame, and on a busy machine a keyboard user can press Escape and
    // then Enter on the (natively re-focused) opener before it comes. The late handler then emptied
    // the dialog that had just opened and forgot its opener, so the focus fell back to Create. A
    // mutation observer runs at the end of the closing task, before any further input, and it sees
    // every way of closing: Escape, Cancel, Done, a form that succeeded, an error.
    let shown = dialog.open;
    new MutationObserver(() => {
      if (dialog.open === shown) return;
      shown = dialog.open;
      if (!shown) closed();
    }).observe(dialog, { attributes: true, attributeFilter: ["open"] });

    document.addEventListener("click", (event) => {
      const open = event.target.closest(OPENERS);
      if (open) opener = (open.closest(".row-menu") || open).querySelector(".row-menu-toggle") || open;
      // A table row's actions carry only their address (fifty rows a page, four actions each): the
      // dialog fetches it here, as data-hx-get would. A modified click opens the full page instead.
      if (open && open.matches("a[href]:not([data-hx-get])") && window.htmx && event.button === 0
          && !(event.ctrlKey || event.metaKey || event.shiftKey || event.altKey)) {
        event.preventDefault();
        window.htmx.ajax("GET", open.getAttribute("href"), { source: open, target: "#modal-content" });
      }
      const close = event.target.closest("[data-close-dialog]");
      if (close && close.closest("dialog")) {
        event.preventDefault();
        close.closest("dialog").close();
      }
    });
  });

  document.addEventListener("htmx:configRequest", (event) => {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    const dialog = modal();
    if (!dialog || event.detail.target !== modalContent()) return;
    enhance(modalContent());
    if (!dialog.open) dialog.showModal();
    // New content starts at its top (the error summary, the warning), however far the last one was
    // scrolled; focusing then scrolls only as far as the focused field needs.
    dialog.scrollTop = 0;
  });

  // The focus is chosen once htmx has settled the swap: while settling, htmx focuses the [autofocus]
  // field (Name, Email), which would otherwise win over the field that needs fixing.
  document.addEventListener("htmx:afterSettle", (event) => {
    const dialog = modal();
    if (!dialog || !dialog.open || event.detail.target !== modalContent()) return;
    focusFirst(modalContent());
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (!event.detail.successful || !form.matches || !form.matches("[data-closes-dialog-on-success]")) return;
    const rowId = form.getAttribute("data-hx-target");
    // The row was replaced: the focus goes to its menu button, or a team row's new action. The
    // dialog's close event comes later, so the action is looked up then.
    const action = () => (rowId ? document.querySelector(`${rowId} .row-menu-toggle, ${rowId} .row-action`) : null);
    const dialog = form.closest("dialog");
    if (dialog) {
      opener = action;
      dialog.close();
    } else {
      const target = action();
      if (target) target.focus();
    }
  });

  document.addEventListener("kwik:flash", (event) => showFlash(event.detail.message, "success"));

  document.addEventListener("htmx:responseError", (event) => {
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    const message = status === 503
      ? "The dashboard cannot reach its database right now, so nothing was saved. What you typed is kept: try again in a moment."
      : status === 403
        ? "That was refused (your session may have changed). Reload the page and try again."
        : "Something went wrong (" + status + "). Nothing secret was exposed; reload the page and try again.";
    const dialog = modal();
    const form = event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("form") : null;
    if (dialog && dialog.open && form && dialog.contains(form)) {
      // A form in the dialog stays, with what was typed and the reason inside it.
      if (!form.querySelector("[data-request-error]")) form.insertAdjacentHTML("afterbegin", '<p class="callout error" role="alert" data-request-error></p>');
      form.querySelector("[data-request-error]").textContent = message;
      dialog.scrollTop = 0;
      return;
    }
    if (dialog && dialog.open) dialog.close();
    showFlash(message, "error");
  });

  document.addEventListener("htmx:sendError", () => {
    showFlash("The dashboard could not be reached. Check your connection and try again.", "error");
  });

  window.addEventListener("beforeunload", (event) => {
    if (revealUnconfirmed(document)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  window.addEventListener("pagehide", () => {
    // Keep credentials out of the back/forward cache.
    document.querySelectorAll('[data-credential="api_key"], [data-credential="api_secret"], [data-credential="password"], [data-credential="recovery"]').forEach((el) => {
      el.textContent = "";
    });
  });
})();
