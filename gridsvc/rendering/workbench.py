"""The planner's workbench on the plan map (方案图): select buildings (one by one, a whole street block
where roads are loaded, by box or by lasso),
move them to a grid or make a new grid of them, split a grid along a drawn line, merge grids, undo
and redo, and save the result as the plan's next version.

The page holds only the list of edits. After each one it asks the API what the list makes of the
plan (``POST /api/plans/{id}/preview``) and redraws the grids and the panel from the answer, so the
page and a script sending the same edits get the same plan; undo drops the last edit and asks again.
Text from the database reaches the page only as ``textContent``.
"""

from __future__ import annotations

from branca.element import MacroElement
from jinja2 import Template

from gridsvc.labels import BAND_LABEL
from gridsvc.rendering.edit_forms import script_json

CSS = """<style>
.gs-bench { top: 10px; right: 54px; max-height: calc(100vh - 60px); overflow: auto; max-width: 340px; }
.gs-bench button, .gs-bench select { min-height: 32px; margin: 2px 4px 2px 0; font-size: 13px; border-radius: 4px;
  border: 1px solid #1f618d; background: #fff; color: #1f618d; padding: 2px 8px; }
.gs-bench button.gs-on, #gs-bench-open { background: #1f618d; color: #fff; }
.gs-bench button:disabled { opacity: .45; }
.gs-bench .gs-row { display: flex; flex-wrap: wrap; align-items: center; margin: 4px 0; }
.gs-bench #gs-bench-chosen { margin-right: 6px; }
.gs-bench .gs-error { color: #b03a2e; margin: 4px 0; white-space: pre-line; }
.gs-bench table { margin-top: 4px; } .gs-bench th { text-align: left; font-weight: normal; color: #566573;
  padding-right: 8px; } .gs-bench-grids td, .gs-bench-grids th { padding: 1px 6px 1px 0; }
@media (max-width: 600px) {
  .gs-bench { top: 84px; left: 10px; right: auto; }  /* closed: a button below the zoom buttons */
  /* open: in the summary's place above the credit, the summary set aside (the panel carries the figures) */
  body.gs-bench-open .gs-bench { top: auto; bottom: var(--gs-above-credit, 64px); right: 10px; max-width: none;
    max-height: 50vh; }
  body.gs-bench-open .gs-summary { display: none; }
}
</style>"""


class Workbench(MacroElement):
    """The editing tools and panel for plan ``plan_id``; ``colours``: band -> fill colour."""

    def __init__(self, plan_id: int, colours: dict[str, str], limits: tuple[int, int]):
        super().__init__()
        self.api = script_json(f"/api/plans/{int(plan_id)}")
        self.colours = script_json(colours)
        self.bands = script_json(BAND_LABEL)
        self.limits = script_json(list(limits))

    _template = Template("""{% macro script(this, kwargs) %}
    (function () {
        const map = {{ this._parent.get_name() }}, api = {{ this.api }}, colours = {{ this.colours }};
        const bands = {{ this.bands }}, limits = {{ this.limits }};
        const el = (tag, props, parent) => {
            const {dataset, ...rest} = props || {}, e = Object.assign(document.createElement(tag), rest);
            Object.assign(e.dataset, dataset || {}); if (parent) parent.appendChild(e); return e; };
        const text = t => el("span", {textContent: t});  // a tooltip from the database is text, never markup
        map.createPane("gs_bench").style.zIndex = 415;
        const box = el("div", {className: "gs-panel gs-bench", id: "gs-bench"}, document.body);
        const head = el("button", {type: "button", id: "gs-bench-open", textContent: "编辑方案"}, box);
        const tools = el("div", {hidden: true}, box);
        const modes = el("div", {className: "gs-row"}, tools), modeButtons = {};
        for (const [m, label] of [["click", "点选"], ["block", "整个街区"], ["box", "框选"], ["lasso", "套索"], ["split", "画线分割"], ["merge", "选网格合并"]])
            modeButtons[m] = el("button", {type: "button", textContent: label, dataset: {mode: m}}, modes);
        const act = el("div", {className: "gs-row"}, tools);
        const chosen = el("span", {id: "gs-bench-chosen", textContent: "未选楼栋"}, act);
        const target = el("select", {id: "gs-bench-target", ariaLabel: "移到的网格"}, act);
        const moveBtn = el("button", {type: "button", id: "gs-bench-move", textContent: "移到网格"}, act);
        const newBtn = el("button", {type: "button", id: "gs-bench-new", textContent: "新建网格"}, act);
        const clearBtn = el("button", {type: "button", id: "gs-bench-clear", textContent: "清除选择"}, act);
        const doneBtn = el("button", {type: "button", id: "gs-bench-split", textContent: "按线分割", hidden: true}, act);
        const mergeBtn = el("button", {type: "button", id: "gs-bench-merge", textContent: "合并所选网格", hidden: true}, act);
        const hist = el("div", {className: "gs-row"}, tools);
        const undoBtn = el("button", {type: "button", id: "gs-bench-undo", textContent: "撤销"}, hist);
        const redoBtn = el("button", {type: "button", id: "gs-bench-redo", textContent: "重做"}, hist);
        const saveBtn = el("button", {type: "button", id: "gs-bench-save", textContent: "保存为新版本"}, hist);
        const status = el("div", {className: "gs-error", id: "gs-bench-status", role: "status"}, tools);
        const figures = el("div", {id: "gs-bench-panel"}, tools);

        let buildings = null, startGrid = {}, gridOf = {}, panelData = null, grids = null, gridLayer = null;
        let buildingLayer = null, mode = "click", edits = [], undone = [], selected = new Set();
        let mergeList = [], sketch = [], sketchLine = null, busy = false;
        const centre = {}, community = {}, block = {};

        function setMode(m) {
            mode = m;
            for (const [k, b] of Object.entries(modeButtons)) b.classList.toggle("gs-on", k === m);
            const drawing = m === "box" || m === "lasso";
            drawing ? map.dragging.disable() : map.dragging.enable();
            map.getContainer().style.touchAction = drawing ? "none" : "";  // the finger draws; the page stays put
            m === "split" ? map.doubleClickZoom.disable() : map.doubleClickZoom.enable();
            doneBtn.hidden = m !== "split"; mergeBtn.hidden = m !== "merge";
            sketch = []; if (sketchLine) { sketchLine.remove(); sketchLine = null; }
            mergeList = []; paintGrids();
        }
        Object.entries(modeButtons).forEach(([m, b]) => b.addEventListener("click", () => setMode(m)));

        function paintBuildings() {
            if (!buildingLayer) return;
            buildingLayer.eachLayer(l => {
                const id = l.feature.id, on = selected.has(id), moved = gridOf[id] !== startGrid[id];
                l.setStyle({color: on ? "#1f4e9c" : "#2c3e50", weight: on ? 3 : 1, fillOpacity: 0.85,
                            fillColor: on ? "#4a90e2" : (moved ? "#e67e22" : "#7f8c8d")});
            });
            chosen.textContent = selected.size ? "已选 " + selected.size + " 栋" : "未选楼栋";
            fillTargets();
        }
        function paintGrids() {
            if (!gridLayer) return;
            gridLayer.eachLayer(l => {
                const on = mergeList.includes(l.feature.id);
                l.setStyle({color: on ? "#1f4e9c" : "#34495e", weight: on ? 5 : 2,
                            fillColor: colours[l.feature.properties.band] || "#cccccc", fillOpacity: 0.35});
            });
        }
        function fillTargets() {
            const first = [...selected][0], mine = first ? community[first] : null;
            const keep = target.value;
            target.replaceChildren();
            for (const g of (panelData ? panelData.grids : []))
                if (!mine || g.community === mine)
                    el("option", {value: g.code, textContent: g.code.slice(-3) + " " + (g.name || "新网格") +
                                  "（" + g.households + "户）"}, target);
            if ([...target.options].some(o => o.value === keep)) target.value = keep;
        }
        function renderPanel(p) {
            figures.replaceChildren();
            const rate = p.alignment_rate == null ? "—" : (100 * p.alignment_rate).toFixed(1) + "%";
            const facts = [
                ["网格", p.grids.length + " 个"], ["户数不在 " + limits[0] + "–" + limits[1] + " 的网格", p.outside_band + " 个"],
                ["不连片的网格", p.in_pieces.length ? p.in_pieces.join("、") : "无"],
                ["被拆开的党小组", p.split_groups.length ? p.split_groups.length + " 个：" +
                    p.split_groups.slice(0, 3).map(g => g.name).join("、") + (p.split_groups.length > 3 ? " 等" : "") : "无"],
                ["与治理网格一致率", rate],
                ["离开治理网格的户数", p.moved_from_governance], ["离开党建网格的户数", p.moved_from_party],
                ["本次改动", p.buildings_changed.length + " 栋 " + p.households_changed + " 户"]];
            const dl = el("table", {className: "gs-bench-facts"}, figures);
            for (const [k, v] of facts) { const tr = el("tr", {}, dl); el("th", {textContent: k}, tr);
                el("td", {textContent: String(v), dataset: {fact: k}}, tr); }
            const fold = el("details", {open: window.innerWidth > 600}, figures);
            el("summary", {textContent: "各网格户数"}, fold);
            const t = el("table", {className: "gs-bench-grids"}, fold), h = el("tr", {}, t);
            for (const c of ["网格", "户数", "户数范围", "楼栋", "连片"]) el("th", {textContent: c}, h);
            for (const g of p.grids) {
                const tr = el("tr", {dataset: {grid: g.code}}, t);
                el("td", {textContent: g.name || "新网格" + g.code.slice(-3), title: g.code}, tr);
                el("td", {textContent: String(g.households), className: "gs-households"}, tr);
                const band = el("td", {textContent: bands[g.band]}, tr); band.style.background = colours[g.band];
                el("td", {textContent: String(g.buildings)}, tr);
                el("td", {textContent: g.pieces > 1 ? "分成 " + g.pieces + " 块" : "是"}, tr);
            }
        }
        function draw(fc) {
            if (gridLayer) gridLayer.remove();
            const band = {}; for (const g of panelData.grids) band[g.code] = g.band;
            for (const f of fc.features) f.properties.band = band[f.id];
            gridLayer = L.geoJSON(fc, {pane: "gs_bench", onEachFeature: (f, l) => {
                l.bindTooltip(() => text(f.id.slice(-3) + " " + (f.properties.name || "新网格")), {sticky: true});
            }}).addTo(map);
            if (buildingLayer) buildingLayer.bringToFront();  // one canvas: buildings drawn over grids
            paintGrids();
        }
        async function call(method, url, body) {
            const r = await fetch(url, {method, credentials: "same-origin",
                headers: {"Content-Type": "application/json"}, body: body ? JSON.stringify(body) : undefined});
            const data = await r.json().catch(() => ({detail: r.status + " " + r.statusText}));
            if (!r.ok) throw new Error(typeof data.detail === "string" ? data.detail : "请求没有成功（" + r.status + "）");
            return data;
        }
        async function refresh(fresh) {  // ask what the edits make of the plan; a refused new edit is dropped
            busy = true; status.textContent = "正在计算 …";
            try {
                const seen = await call("POST", api + "/preview", {edits});
                panelData = seen.panel; gridOf = Object.assign({}, startGrid, seen.grid_of);
                draw(seen.grids); renderPanel(panelData); paintBuildings();
                status.textContent = edits.length ? "已编辑 " + edits.length + " 步（未保存）" : "";
            } catch (err) {
                if (fresh) edits.pop();
                status.textContent = err.message;
            } finally { busy = false; undoBtn.disabled = !edits.length; redoBtn.disabled = !undone.length; }
        }
        function edit(e) { if (busy) return; edits.push(e); undone = []; selected.clear(); mergeList = []; refresh(true); }
        moveBtn.addEventListener("click", () => {
            if (!selected.size) { status.textContent = "请先选择楼栋"; return; }
            edit({op: "move", buildings: [...selected], to: target.value});
        });
        newBtn.addEventListener("click", () => {
            if (!selected.size) { status.textContent = "请先选择楼栋"; return; }
            edit({op: "new", buildings: [...selected]});
        });
        clearBtn.addEventListener("click", () => { selected.clear(); paintBuildings(); });
        doneBtn.addEventListener("click", () => {
            if (sketch.length < 2) { status.textContent = "请在地图上点出分割线（至少两点）"; return; }
            const line = sketch.map(p => [p.lng, p.lat]); setMode("split"); edit({op: "split", line});
        });
        mergeBtn.addEventListener("click", () => {
            if (mergeList.length < 2) { status.textContent = "请在地图上点选至少两个网格"; return; }
            edit({op: "merge", grids: mergeList.slice()});
        });
        undoBtn.addEventListener("click", () => { if (busy || !edits.length) return; undone.push(edits.pop()); refresh(false); });
        redoBtn.addEventListener("click", () => { if (busy || !undone.length) return; edits.push(undone.pop()); refresh(true); });
        saveBtn.addEventListener("click", async () => {
            if (!edits.length) { status.textContent = "还没有编辑，无需保存"; return; }
            status.textContent = "正在保存 …";
            try {
                const saved = await call("POST", api + "/versions", {edits});
                status.replaceChildren(document.createTextNode("已保存为方案 " + saved.id + "（第 " + saved.version + " 版）："));
                el("a", {href: "/maps/plans/" + saved.id, textContent: "打开新版本", id: "gs-bench-saved"}, status);
            } catch (err) { status.textContent = err.message; }
        });

        function inside(pt, ring) {  // ray casting on [lng, lat]
            let hit = false;
            for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
                const [xi, yi] = ring[i], [xj, yj] = ring[j];
                if ((yi > pt[1]) !== (yj > pt[1]) && pt[0] < (xj - xi) * (pt[1] - yi) / (yj - yi) + xi) hit = !hit;
            }
            return hit;
        }
        function selectWithin(ring) {
            for (const [id, c] of Object.entries(centre)) if (inside(c, ring)) selected.add(id);
            paintBuildings();
        }
        // pointer events, not the map's mouse events: a finger dragged on a phone sends no mouse moves
        let dragging = null;
        const pane = map.getContainer();
        pane.addEventListener("pointerdown", ev => {
            if ((mode !== "box" && mode !== "lasso") || !ev.isPrimary || ev.target.closest(".leaflet-control")) return;
            const at = map.mouseEventToLatLng(ev);
            dragging = [at]; pane.setPointerCapture(ev.pointerId);
            sketchLine = (mode === "box" ? L.rectangle(L.latLngBounds(at, at)) : L.polyline([at]))
                .setStyle({color: "#1f4e9c", weight: 2, dashArray: "4 3", fill: false, interactive: false}).addTo(map);
        });
        pane.addEventListener("pointermove", ev => {
            if (!dragging || !ev.isPrimary) return;
            const at = map.mouseEventToLatLng(ev);
            if (mode === "box") { sketchLine.setBounds(L.latLngBounds(dragging[0], at)); dragging[1] = at; }
            else { dragging.push(at); sketchLine.addLatLng(at); }
        });
        pane.addEventListener("pointercancel", () => {
            if (dragging) { dragging = null; sketchLine.remove(); sketchLine = null; }
        });
        pane.addEventListener("pointerup", ev => {
            if (!dragging || !ev.isPrimary) return;
            const pts = dragging; dragging = null; sketchLine.remove(); sketchLine = null;
            if (pts.length < 2) return;
            let ring;
            if (mode === "box") { const [a, b] = pts;
                ring = [[a.lng, a.lat], [b.lng, a.lat], [b.lng, b.lat], [a.lng, b.lat]]; }
            else ring = pts.map(p => [p.lng, p.lat]);
            selectWithin(ring);
        });
        function gridAt(latlng) {  // the grid whose polygon holds the point (even under a building)
            const pt = [latlng.lng, latlng.lat];
            for (const l of gridLayer ? gridLayer.getLayers() : []) {
                const g = l.feature.geometry, polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
                if (polys.some(rings => inside(pt, rings[0]) && !rings.slice(1).some(h => inside(pt, h)))) return l.feature.id;
            }
            return null;
        }
        map.on("click", ev => {
            if (mode === "merge") {
                const code = gridAt(ev.latlng); if (!code) return;
                mergeList.includes(code) ? mergeList.splice(mergeList.indexOf(code), 1) : mergeList.push(code);
                paintGrids(); return;
            }
            if (mode !== "split") return;
            sketch.push(ev.latlng);
            if (!sketchLine) sketchLine = L.polyline([], {color: "#c0392b", weight: 3, dashArray: "6 4"}).addTo(map);
            sketchLine.setLatLngs(sketch);
        });

        async function begin() {
            status.textContent = "正在打开方案 …";
            try {
                const data = await call("GET", api + "/workbench");
                for (const f of data.buildings.features) {
                    const ring = f.geometry.type === "Point" ? [f.geometry.coordinates]
                        : (f.geometry.type === "Polygon" ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0]);
                    centre[f.id] = [ring.reduce((s, p) => s + p[0], 0) / ring.length, ring.reduce((s, p) => s + p[1], 0) / ring.length];
                    startGrid[f.id] = f.properties.grid; community[f.id] = f.properties.community;
                    block[f.id] = f.properties.block;
                }
                gridOf = Object.assign({}, startGrid); panelData = data.panel;
                const hide = map.getPane("gs_plan"); if (hide) hide.style.display = "none";
                draw(data.grids);
                buildingLayer = L.geoJSON(data.buildings, {pane: "gs_bench",
                    pointToLayer: (f, ll) => L.circleMarker(ll, {radius: 4}),
                    onEachFeature: (f, l) => {
                        l.bindTooltip(() => text((f.properties.name || f.id) + "：" + f.properties.households + "户"),
                                      {sticky: true});
                        l.on("click", ev => {
                            if (mode === "click") selected.has(f.id) ? selected.delete(f.id) : selected.add(f.id);
                            else if (mode === "block" && block[f.id] != null) {  // the whole street block, or none of it
                                const all = Object.keys(block).filter(id => block[id] === block[f.id]);
                                const on = all.every(id => selected.has(id));
                                all.forEach(id => on ? selected.delete(id) : selected.add(id));
                            } else return;
                            L.DomEvent.stop(ev); paintBuildings(); });
                    }}).addTo(map);
                modeButtons.block.hidden = !Object.values(block).some(v => v != null);  // roads loaded?
                renderPanel(panelData); paintBuildings(); setMode("click"); frame();
                status.textContent = "点选、框选或套索选中楼栋，再移到网格或新建网格";
                undoBtn.disabled = true; redoBtn.disabled = true;
                window.gsBench = {edits: () => edits.slice(), selected: () => [...selected],
                    sketch: () => sketch.map(p => [p.lng, p.lat]), merging: () => mergeList.slice(), ready: true};
            } catch (err) { status.textContent = err.message; }
        }
        function frame() {  // on a phone, the plan's grids in the part of the screen above the open panel
            if (window.innerWidth > 600 || tools.hidden || !gridLayer) return;
            const below = window.innerHeight - box.getBoundingClientRect().top;
            map.fitBounds(gridLayer.getBounds(), {paddingTopLeft: [10, 60], paddingBottomRight: [10, below + 10], animate: false});
        }
        head.addEventListener("click", () => {
            tools.hidden = !tools.hidden; head.textContent = tools.hidden ? "编辑方案" : "收起编辑";
            document.body.classList.toggle("gs-bench-open", !tools.hidden);
            // the stored plan's scores make room: the panel here follows the edits
            document.querySelectorAll(".gs-summary details, .gs-legend details").forEach(d => { d.open = false; });
            if (!tools.hidden && !buildingLayer) begin(); else frame();
        });
        L.DomEvent.disableClickPropagation(box); L.DomEvent.disableScrollPropagation(box);
    })();
    {% endmacro %}""")
