"""Forms on the served maps, for callers who may edit: on the grid leader's map appoint a building
leader, correct a building's figures, read its history; on the coverage map (planners) send an
organization a Party-building liaison and record its union and Youth League. Phone first: a bottom sheet with large inputs, a
numeric keyboard for numbers and a phone keyboard for phones. Each form sends JSON to the API with
the page's login cookie (same origin, so the CSRF guard lets it through), shows the API's refusal
with the field named, and on success reloads the page, so figures, colours and the to-do list
are redrawn at once.

Text from the database reaches the sheet only as ``textContent`` or as already escaped properties."""

from __future__ import annotations

import json

from branca.element import MacroElement
from jinja2 import Template

# the API's field names as the forms label them (errors name the field the way the form does)
FIELD_LABEL = {
    "staff_id": "人员",
    "name": "姓名",
    "phone": "手机",
    "start_date": "开始日期",
    "households": "户数",
    "residents": "常住人口",
    "full_members": "正式党员",
    "floors": "层数",
    "buildings": "覆盖的楼栋",
    "founded": "成立日期",
    "end_date": "离任日期",
    "role": "岗位",
}

# the API's refusals (pydantic error types) as the forms say them
REASON = {
    "missing": "必须填写",
    "string_pattern_mismatch": "格式不对：请填写数字，如 13800000001",
    "string_too_short": "不能为空",
    "string_too_long": "太长了",
    "greater_than_equal": "不能是负数",
    "less_than_equal": "数值太大",
    "int_parsing": "请填写整数",
    "int_from_float": "请填写整数",
    "date_from_datetime_parsing": "日期格式不对",
    "date_parsing": "日期格式不对",
    "extra_forbidden": "不能修改此项",
}

CSS = """<style>
.gs-sheet { position: fixed; left: 0; right: 0; bottom: 0; z-index: 3000; background: #fff; max-height: 75vh;
  overflow: auto; padding: 14px 16px 20px; border-radius: 14px 14px 0 0; box-shadow: 0 -2px 12px rgba(0,0,0,.35);
  font-family: system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; font-size: 16px; }
.gs-sheet h4 { margin: 0 0 10px; font-size: 17px; }
.gs-sheet label { display: block; margin: 8px 0 2px; font-size: 14px; color: #34495e; }
.gs-sheet input, .gs-sheet select { width: 100%; box-sizing: border-box; min-height: 44px; font-size: 16px;
  padding: 6px 8px; border: 1px solid #aab7b8; border-radius: 6px; }
.gs-sheet .gs-row { display: flex; gap: 10px; margin-top: 14px; }
.gs-sheet button { flex: 1; min-height: 46px; font-size: 16px; border-radius: 6px; border: 0; }
.gs-sheet button.gs-ok { background: #1f618d; color: #fff; } .gs-sheet button.gs-cancel { background: #e5e8e8; }
.gs-sheet .gs-error { color: #b03a2e; margin-top: 8px; white-space: pre-line; }
.gs-sheet ol { padding-left: 20px; font-size: 14px; } .gs-sheet li { margin: 4px 0; }
button.gs-act { margin: 6px 6px 0 0; min-height: 36px; padding: 4px 10px; border: 1px solid #1f618d;
  border-radius: 4px; background: #fff; color: #1f618d; font-size: 14px; }
@media (min-width: 601px) { .gs-sheet { left: 10px; right: auto; bottom: 10px; width: 380px; border-radius: 10px; } }
</style>"""


def script_json(value) -> str:
    """``value`` as a JavaScript literal safe inside an inline ``<script>``: no ``<`` at all, so a name
    holding ``</script>`` cannot end the script, nor ``<script`` draw the page's nonce.

    >>> "<" in script_json(["</script><script>"])
    False
    """
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


class EditForms(MacroElement):
    """The sheet and its forms; ``people``: [id, name, role label, role] of the staff to pick from,
    ``buildings``: [id, name] of the buildings a Party group may cover."""

    _template = Template("""{% macro script(this, kwargs) %}
    (function () {
        const people = {{ this.people }}, buildings = {{ this.buildings }}, labels = {{ this.labels }};
        const grid = encodeURIComponent({{ this.grid }});
        const sheet = document.createElement("div");
        sheet.className = "gs-sheet"; sheet.hidden = true; sheet.setAttribute("role", "dialog");
        document.body.appendChild(sheet);
        const el = (tag, props, parent) => { const e = Object.assign(document.createElement(tag), props || {});
            if (parent) parent.appendChild(e); return e; };
        function field(form, label, props) {
            el("label", {textContent: label, htmlFor: props.id}, form);
            return el(props.tag || "input", props, form);
        }
        function open(title) {
            const popup = document.querySelector(".leaflet-popup-close-button");  // the sheet replaces it
            if (popup) popup.click();
            sheet.replaceChildren(); el("h4", {textContent: title}, sheet); sheet.hidden = false;
            return el("form", {}, sheet);
        }
        function buttons(form, ok) {
            const row = el("div", {className: "gs-row"}, form);
            el("button", {type: "button", className: "gs-cancel", textContent: "取消"}, row)
                .addEventListener("click", () => { sheet.hidden = true; });
            if (ok) el("button", {type: "submit", className: "gs-ok", textContent: ok}, row);
            return el("div", {className: "gs-error"}, form);
        }
        const reasons = {{ this.reasons }};
        function explain(body) {
            if (Array.isArray(body.detail)) return body.detail.map(d => {
                const f = (d.loc || []).filter(p => p !== "body").join(".");
                return (labels[f] || f || "提交") + "：" + (reasons[d.type] || d.msg); }).join("\\n");
            return typeof body.detail === "string" ? body.detail : "提交失败";
        }
        async function send(method, url, body, error) {
            error.textContent = "正在提交 …";
            const r = await fetch(url, {method, credentials: "same-origin",
                headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
            if (r.ok) { window.location.reload(); return; }
            error.textContent = explain(await r.json().catch(() => ({detail: r.status + " " + r.statusText})));
        }
        const today = new Date().toISOString().slice(0, 10);
        function checkbox(form, label, props) {  // a tappable row: the box and its words
            const row = el("label", {}, form), box = el("input", Object.assign({type: "checkbox"}, props), row);
            box.style.width = "auto"; box.style.minHeight = "24px";
            row.appendChild(document.createTextNode(" " + label));
            return box;
        }
        // a post to fill: one of the listed people (``pick`` filters them) or a new person by name and
        // phone, from a day; ``extra`` adds fields and returns what they add to the body
        function personForm(title, post, pick, url, extra) {
            const form = open(title);
            const who = field(form, post, {tag: "select", id: "gs-who"});
            el("option", {value: "", textContent: "新登记一位"}, who);
            for (const [pid, pname, role, code] of people)
                if (pick(code)) el("option", {value: pid, textContent: pname + "（" + role + "）"}, who);
            const pname = field(form, "姓名", {id: "gs-name", autocomplete: "name"});
            const phone = field(form, "手机", {id: "gs-phone", type: "tel", inputMode: "tel", autocomplete: "tel"});
            const more = extra ? extra(form) : () => ({});
            const start = field(form, "开始日期", {id: "gs-start", type: "date", value: today});
            who.addEventListener("change", () => { pname.disabled = phone.disabled = who.value !== ""; });
            const error = buttons(form, "保存");
            form.addEventListener("submit", e => { e.preventDefault();
                const body = who.value ? {staff_id: who.value} : {name: pname.value.trim() || null, phone: phone.value.trim() || null};
                send("POST", url, Object.assign(body, more(), {start_date: start.value || today}), error); });
        }
        const leaderForm = (id, name) => personForm("登记楼栋长：" + name, "楼栋长", () => true,
            "/api/buildings/" + encodeURIComponent(id) + "/leader");
        const liaisonForm = (id, name) => personForm("选派党建指导员：" + name, "党建指导员", code => code === "liaison",
            "/api/organizations/" + encodeURIComponent(id) + "/liaison");
        const gridStaffForm = (role, label) => personForm(label + "：" + {{ this.grid_name }}, "人员", () => true,
            "/api/grids/" + grid + "/staff", form => {
                const full = checkbox(form, "专职", {id: "gs-fulltime", checked: true});
                return () => ({role, fulltime: full.checked}); });
        function figuresForm(id, name) {
            const form = open("修改数据：" + name), body = {};
            const inputs = ["households", "residents", "full_members", "floors"].map(f =>
                [f, field(form, labels[f], {id: "gs-" + f, type: "number", inputMode: "numeric", min: "0", step: "1"})]);
            const error = buttons(form, "保存");
            form.addEventListener("submit", e => { e.preventDefault();
                for (const [f, input] of inputs) if (input.value !== "") body[f] = Number(input.value);
                if (!Object.keys(body).length) { error.textContent = "请至少填写一项"; return; }
                send("PATCH", "/api/buildings/" + encodeURIComponent(id), body, error); });
        }
        function flagsForm(id, name) {
            const form = open("工会和团组织：" + name), boxes = {};
            for (const [f, label] of [["has_union", "已建立工会"], ["has_youth_league", "已建立团组织"]])
                boxes[f] = checkbox(form, label, {id: "gs-" + f});
            const error = buttons(form, "保存");
            form.addEventListener("submit", e => { e.preventDefault();
                send("PATCH", "/api/organizations/" + encodeURIComponent(id),
                     {has_union: boxes.has_union.checked, has_youth_league: boxes.has_youth_league.checked}, error); });
        }
        function groupForm(id, name) {
            const form = open("组建楼栋党小组：" + name);
            const gname = field(form, "党小组名称", {id: "gs-gname", value: name + "党小组"});
            const members = field(form, "正式党员", {id: "gs-members", type: "number", inputMode: "numeric", min: "0", step: "1"});
            el("label", {textContent: "覆盖的楼栋"}, form);
            const boxes = [];
            for (const [bid, bname] of buildings) boxes.push(checkbox(form, bname, {value: bid, checked: bid === id}));
            const founded = field(form, "成立日期", {id: "gs-founded", type: "date", value: today});
            const error = buttons(form, "保存");
            form.addEventListener("submit", e => { e.preventDefault();
                const chosen = boxes.filter(b => b.checked).map(b => b.value);
                send("POST", "/api/party-groups", {name: gname.value.trim(), buildings: chosen.length ? chosen : [id],
                     full_members: members.value === "" ? null : Number(members.value), founded: founded.value || today}, error); });
        }
        function leaveForm(id, name) {
            const form = open("离任：" + name);
            const end = field(form, "离任日期", {id: "gs-end", type: "date", value: today});
            const error = buttons(form, "保存");
            form.addEventListener("submit", e => { e.preventDefault();
                send("POST", "/api/grids/" + grid + "/staff/" + encodeURIComponent(id) + "/end", {end_date: end.value || today}, error); });
        }
        function orgPartyForm(id, name) {
            const form = open("建立党组织：" + name);
            const pname = field(form, "党组织名称", {id: "gs-pname", value: name + "党支部"});
            const kind = field(form, "类型", {tag: "select", id: "gs-kind"});
            for (const [code, label] of [["branch", "党支部"], ["general_branch", "党总支"], ["committee", "党委"]])
                el("option", {value: code, textContent: label}, kind);
            const members = field(form, "正式党员", {id: "gs-members", type: "number", inputMode: "numeric", min: "0", step: "1"});
            const founded = field(form, "成立日期", {id: "gs-founded", type: "date", value: today});
            const error = buttons(form, "保存");
            form.addEventListener("submit", e => { e.preventDefault();
                send("POST", "/api/organizations/" + encodeURIComponent(id) + "/party-org", {name: pname.value.trim(),
                     kind: kind.value, full_members: members.value === "" ? null : Number(members.value),
                     founded: founded.value || today}, error); });
        }
        async function history(id, name, kind) {
            const form = open("变更记录：" + name), list = el("ol", {}, form);
            const error = buttons(form, null);
            const r = await fetch("/api/" + (kind === "grid" ? "grids/" : "buildings/") + encodeURIComponent(id) + "/history",
                                  {credentials: "same-origin"});
            if (!r.ok) { error.textContent = explain(await r.json().catch(() => ({}))); return; }
            const entries = await r.json();
            if (!entries.length) el("li", {textContent: "尚无记录"}, list);
            for (const e of entries) {
                const after = e.after || {}, what = after.name || after.staff_id || Object.keys(after).join("、");
                el("li", {textContent: e.at.slice(0, 16).replace("T", " ") + "　" + e.actor + "　" + e.action + "　" + what}, list);
            }
        }
        document.addEventListener("click", e => {
            const b = e.target.closest("[data-gs-action]");
            if (!b) return;
            e.preventDefault();
            if (b.dataset.gsAction === "grid_staff") { gridStaffForm(b.dataset.role, b.textContent); return; }
            const act = {leader: leaderForm, figures: figuresForm, history, liaison: liaisonForm, flags: flagsForm,
                         group: groupForm, leave: leaveForm, party_org: orgPartyForm}[b.dataset.gsAction];
            if (act) act(b.dataset.id, b.dataset.name, b.dataset.kind);
        });
    })();
    {% endmacro %}""")

    def __init__(self, people: list[list[str]], buildings: list[list[str]] = (), grid: tuple[str, str] = ("", "")):
        super().__init__()
        self._name = "EditForms"
        self.grid, self.grid_name = (script_json(v) for v in grid)
        self.people = script_json(people)
        self.buildings = script_json(list(buildings))
        self.labels = json.dumps(FIELD_LABEL, ensure_ascii=False)
        self.reasons = json.dumps(REASON, ensure_ascii=False)
