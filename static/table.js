// The token table's row menus, and the phone's Filters button. Each row's "⋯" is a link to the token's page, which has every action;
// with JavaScript it becomes a menu button (the WAI-ARIA menu button pattern) that opens the row's
// actions in place: Enter, Space or ↓ open it on the first action, ↑ on the last; ↑ ↓ Home End move;
// Escape closes it and returns to the button; Tab or a click elsewhere closes it. Choosing an action
// is app.js's business: it opens the action in the dialog and gives the focus back to the button.
(() => {
  "use strict";

  const TOGGLE = ".row-menu-toggle";
  let open = null; // { toggle, list } of the menu shown, if any

  const items = (list) => Array.from(list.querySelectorAll('[role="menuitem"]'));

  // A row's menu, built from its "⋯" link: the token's page (`…/access-tokens/7#actions`), its
  // name (in the link's label) and its status. The server sends only the link: four actions a row
  // would be over half of the table's bytes. Text goes in as text, never as HTML.
  function build(toggle) {
    const page = (toggle.getAttribute("href") || "").split("#")[0];
    const id = page.split("/").pop();
    const name = (toggle.getAttribute("aria-label") || "").replace(/^Actions for /, "");
    if (!/^\d+$/.test(id) || !name) return null;
    const live = toggle.dataset.status === "live";
    const list = document.createElement("ul");
    list.className = "row-menu-list";
    list.id = "row-menu-" + id;
    list.setAttribute("role", "menu");
    list.setAttribute("aria-label", "Actions for " + name);
    list.hidden = true;
    const actions = [
      ["/edit", "Edit", "Edit " + name],
      ["/roll", "Roll secret", "Roll secret of " + name],
      live ? ["/status?status=disabled", "Disable", "Disable " + name]
        : ["/status?status=live", "Enable", "Enable " + name],
      ["/delete", "Delete", "Delete " + name, "danger"],
    ];
    for (const [path, text, label, kind] of actions) {
      const item = document.createElement("li");
      item.setAttribute("role", "none");
      const link = document.createElement("a");
      link.setAttribute("role", "menuitem");
      link.href = page + path;
      link.setAttribute("aria-label", label);
      if (kind) link.className = kind;
      link.textContent = text;
      item.append(link);
      list.append(item);
    }
    toggle.after(list);
    return list;
  }

  function enhance(root) {
    root.querySelectorAll(TOGGLE + ":not([aria-haspopup])").forEach((toggle) => {
      const list = toggle.parentElement.querySelector(".row-menu-list[id]") || build(toggle);
      if (!list) return;
      toggle.setAttribute("role", "button");
      toggle.setAttribute("aria-haspopup", "menu");
      toggle.setAttribute("aria-expanded", "false");
      toggle.setAttribute("aria-controls", list.id);
    });
  }

  function close(refocus) {
    if (!open) return;
    const { toggle, list } = open;
    open = null;
    list.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
    if (refocus && toggle.isConnected) toggle.focus();
  }

  // The menu floats over the page, under its button (above it when there is no room below), so no
  // scrolling box around the table cuts it off; it follows its button when the page scrolls.
  function place(toggle, list) {
    const box = toggle.getBoundingClientRect();
    const height = list.offsetHeight;
    list.style.position = "fixed";
    list.style.right = (document.documentElement.clientWidth - box.right) + "px";
    const up = window.innerHeight - box.bottom < height + 8 && box.top > height + 8;
    list.style.top = up ? "auto" : (box.bottom + 4) + "px";
    list.style.bottom = up ? (window.innerHeight - box.top + 4) + "px" : "auto";
  }

  function show(toggle, at) {
    close(false);
    const list = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!list) return;
    list.hidden = false;
    place(toggle, list);
    toggle.setAttribute("aria-expanded", "true");
    open = { toggle, list };
    const all = items(list);
    const first = at === "last" ? all[all.length - 1] : all[0];
    if (first) first.focus({ preventScroll: true });
  }

  // The Filters button: shown by this script, it folds the filter menus on a phone (CSS hides them
  // there until it is pressed), and counts the menus in use.
  function foldFilters(root) {
    root.querySelectorAll(".filters-toggle[hidden]").forEach((button) => {
      button.hidden = false;
      button.closest("form").classList.add("has-filters-toggle");
    });
  }

  document.addEventListener("change", (event) => {
    const form = event.target.closest ? event.target.closest(".has-filters-toggle") : null;
    if (!form) return;
    const used = Array.from(form.querySelectorAll(".filter-fields select")).filter((s) => s.value).length;
    form.querySelector(".filters-toggle").textContent = "Filters" + (used ? " · " + used : "");
  });

  const toggleOf = (el) => (el && el.closest ? el.closest(TOGGLE + "[aria-haspopup]") : null);

  document.addEventListener("click", (event) => {
    const fold = event.target.closest ? event.target.closest(".filters-toggle") : null;
    if (fold) {
      const fields = document.getElementById(fold.getAttribute("aria-controls"));
      const opening = fold.getAttribute("aria-expanded") !== "true";
      fold.setAttribute("aria-expanded", String(opening));
      if (fields) fields.classList.toggle("open", opening);
      return;
    }
    const toggle = toggleOf(event.target);
    if (toggle) {
      event.preventDefault();
      if (open && open.toggle === toggle) close(true);
      else show(toggle, "first");
      return;
    }
    // A chosen action (app.js opens it) or a click anywhere else: the menu goes.
    if (open) close(false);
  });

  document.addEventListener("keydown", (event) => {
    const toggle = toggleOf(event.target);
    if (toggle) {
      if (event.key === "Enter" || event.key === " " || event.key === "ArrowDown") {
        event.preventDefault();
        show(toggle, "first");
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        show(toggle, "last");
      }
      return;
    }
    if (!open || !open.list.contains(event.target)) return;
    const all = items(open.list);
    const here = all.indexOf(event.target);
    const move = { ArrowDown: here + 1, ArrowUp: here - 1 + all.length, Home: 0, End: all.length - 1 }[event.key];
    if (move !== undefined) {
      event.preventDefault();
      all[move % all.length].focus({ preventScroll: true });
    } else if (event.key === "Escape") {
      event.preventDefault();
      close(true);
    } else if (event.key === "Tab") {
      close(false);
    } else if (event.key === " ") {
      event.preventDefault();
      event.target.click();
    }
  });

  // The focus leaving the menu by any other way (a screen reader's own navigation) closes it too.
  document.addEventListener("focusout", (event) => {
    if (!open || !open.list.contains(event.target)) return;
    const next = event.relatedTarget;
    if (next && (open.list.contains(next) || next === open.toggle)) return;
    close(false);
  });

  const follow = () => { if (open) place(open.toggle, open.list); };
  window.addEventListener("scroll", follow, { capture: true, passive: true });
  window.addEventListener("resize", follow);

  enhance(document);
  foldFilters(document);
  document.addEventListener("htmx:load", (event) => {
    enhance(event.detail.elt);
    foldFilters(event.detail.elt);
  });
})();
