// Helpers shared by the pages (/, /preview, /agent): elements are built with
// textContent only (texts from trees and tickets are untrusted), and sessionStorage may
// be unavailable (a private window), in which case nothing is kept.
(function () {
  'use strict';

  function byId(id) {
    return document.getElementById(id);
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) {
      node.className = cls;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
  }

  function stored(key) {
    try {
      return window.sessionStorage.getItem(key);
    } catch (e) {
      return null;
    }
  }

  function store(key, value) {
    try {
      if (value === null) {
        window.sessionStorage.removeItem(key);
      } else {
        window.sessionStorage.setItem(key, value);
      }
    } catch (e) {
      /* not kept */
    }
  }

  window.troubletreePage = { byId: byId, el: el, clear: clear, stored: stored, store: store };
})();
