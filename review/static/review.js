// congvan review page: highlight where a value came from, fill a new task from
// a selection, agency suggestions, upload checks. Document text is only ever
// put into the page with textContent (never as HTML).
"use strict";

(function () {
  // Python spans count code points; JavaScript strings count UTF-16 units.
  function toUnits(text, cp) {
    if (!/[\uD800-\uDFFF]/.test(text)) return cp;
    let units = 0, seen = 0;
    for (const ch of text) { if (seen >= cp) break; units += ch.length; seen += 1; }
    return units;
  }
  function toPoints(text, units) {
    if (!/[\uD800-\uDFFF]/.test(text)) return units;
    return Array.from(text.slice(0, units)).length;
  }

  function setupText() {
    const data = document.getElementById("doc-data");
    const pre = document.getElementById("doctext");
    if (!data || !pre) return;
    const text = JSON.parse(data.textContent).text || "";
    pre.textContent = text;

    function showTab(id) {
      document.querySelectorAll(".tab").forEach(b => b.classList.toggle("active", b.dataset.tab === id));
      document.querySelectorAll(".pane").forEach(p => p.classList.toggle("hidden", p.id !== id));
    }
    document.querySelectorAll(".tab").forEach(b => b.addEventListener("click", () => showTab(b.dataset.tab)));

    function highlight(start, end, find, stay) {
      const s = toUnits(text, start), e = toUnits(text, end);
      pre.textContent = "";
      pre.append(document.createTextNode(text.slice(0, s)));
      const mark = document.createElement("mark");
      mark.id = "hl";
      const inside = text.slice(s, e);
      // the value inside the span: its words in order, any whitespace (line breaks) between them
      const words = find.trim().split(/\s+/).filter(Boolean).map(w => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
      const m = words.length ? new RegExp(words.join("\\s+"), "iu").exec(inside) : null;
      if (m) {
        const at = m.index, len = m[0].length;
        mark.append(document.createTextNode(inside.slice(0, at)));
        const inner = document.createElement("mark");
        inner.className = "inner";
        inner.id = "hl-inner";
        inner.textContent = inside.slice(at, at + len);
        mark.append(inner, document.createTextNode(inside.slice(at + len)));
      } else {
        mark.textContent = inside;
      }
      pre.append(mark, document.createTextNode(text.slice(e)));
      if (stay) return;  // the page images are shown: the box is drawn there
      showTab("text-pane");
      (document.getElementById("hl-inner") || mark).scrollIntoView({ block: "center" });
    }

    // the same value on the page images, where the PDF has a text layer
    async function boxes(start, end, find) {
      document.querySelectorAll(".box").forEach(b => b.remove());
      const wraps = document.querySelectorAll(".page-wrap");
      if (!wraps.length) return;
      const q = text.slice(toUnits(text, start), toUnits(text, end));
      const url = "/documents/" + pre.dataset.doc + "/boxes?q=" + encodeURIComponent(q.slice(0, 2000)) +
        "&find=" + encodeURIComponent(find);
      const resp = await fetch(url, { credentials: "same-origin" });
      if (!resp.ok) return;
      let first = null;
      for (const b of await resp.json()) {
        const wrap = document.querySelector('.page-wrap[data-page="' + Number(b.page) + '"]');
        if (!wrap) continue;
        const div = document.createElement("div");
        div.className = "box";
        div.style.left = (b.x * 100) + "%"; div.style.top = (b.y * 100) + "%";
        div.style.width = (b.w * 100) + "%"; div.style.height = (b.h * 100) + "%";
        wrap.append(div);
        first = first || div;
      }
      const pane = document.getElementById("pages-pane");
      if (first && pane && !pane.classList.contains("hidden")) first.scrollIntoView({ block: "center" });
    }

    document.querySelectorAll("[data-span]").forEach(el => {
      el.addEventListener("click", () => {
        const [s, e] = el.dataset.span.split(",").map(Number);
        document.querySelectorAll(".selected").forEach(x => x.classList.remove("selected"));
        el.classList.add("selected");
        const pane = document.getElementById("pages-pane");
        const onPages = pane && !pane.classList.contains("hidden");
        highlight(s, e, el.dataset.find || "", onPages);
        boxes(s, e, el.dataset.find || "");
      });
    });

    // a selection in the text fills the "add a task" form (text and span)
    const add = document.querySelector("#add-task form");
    if (add) {
      pre.addEventListener("mouseup", () => {
        const sel = window.getSelection();
        if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return;
        const r = sel.getRangeAt(0);
        if (!pre.contains(r.startContainer) || !pre.contains(r.endContainer)) return;
        const before = document.createRange();
        before.setStart(pre, 0);
        before.setEnd(r.startContainer, r.startOffset);
        const s = before.toString().length, e = s + r.toString().length;
        add.elements.span_start.value = toPoints(text, s);
        add.elements.span_end.value = toPoints(text, e);
        add.elements.text.value = text.slice(s, e).replace(/\s+/g, " ").trim();
        document.getElementById("add-task").open = true;
      });
    }
  }

  // a task's edit forms are fetched when its "Sửa" opens (server-rendered, escaped
  // HTML of this site), so a document of a thousand tasks stays a light page
  function setupTaskForms() {
    document.querySelectorAll("details").forEach(d => {
      const slot = d.querySelector(".form-slot");
      if (!slot) return;
      d.addEventListener("toggle", async () => {
        if (!d.open || slot.dataset.loaded) return;
        slot.dataset.loaded = "1";
        const resp = await fetch(slot.dataset.src, { credentials: "same-origin" });
        slot.innerHTML = await resp.text();
        setupAgencyPick(slot);
      });
    });
  }

  // a name picked from the agency list is added as a new line of the lead box
  function setupAgencyPick(root) {
    (root || document).querySelectorAll(".agency-pick").forEach(inp => {
      inp.addEventListener("keydown", ev => {
        if (ev.key !== "Enter") return;
        ev.preventDefault();
        const name = inp.value.trim();
        const box = inp.form.elements.lead;
        if (name && box) {
          box.value = (box.value.replace(/\s+$/, "") + "\n" + name).replace(/^\n/, "") + "\n";
          inp.value = "";
        }
      });
    });
  }

  // size and count checked before sending (the server checks again)
  function setupUpload() {
    const inp = document.getElementById("files");
    const out = document.getElementById("upload-check");
    if (!inp || !out) return;
    inp.form.addEventListener("submit", ev => {
      const maxBytes = Number(inp.dataset.maxMb) * 1024 * 1024;
      const tooBig = Array.from(inp.files).filter(f => f.size > maxBytes).map(f => f.name);
      let msg = "";
      if (inp.files.length === 0) msg = "Chưa chọn tệp.";
      else if (inp.files.length > Number(inp.dataset.maxFiles)) msg = "Quá nhiều tệp một lần.";
      else if (tooBig.length) msg = "Tệp quá lớn: " + tooBig.join(", ");
      if (msg) { ev.preventDefault(); out.textContent = msg; }
    });
  }

  // the list refreshes itself while documents are being extracted
  function setupRefresh() {
    const t = document.querySelector("[data-refresh]");
    if (t) setTimeout(() => location.reload(), Number(t.dataset.refresh) * 1000);
  }

  // a crop that could not be made (the value is not found on the page) is left out
  function setupCrops() {
    document.querySelectorAll("img.crop").forEach(img => {
      img.addEventListener("error", () => img.remove());
      if (img.complete && img.naturalWidth === 0) img.remove();
    });
  }

  document.addEventListener("DOMContentLoaded", () => { setupCrops(); setupText(); setupTaskForms(); setupAgencyPick(); setupUpload(); setupRefresh(); });
})();
