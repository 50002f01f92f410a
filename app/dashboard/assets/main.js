// The dashboard page: sign in, then the caller's figures, refreshed every `?refresh=` seconds (30 by default).

import {
  ApiError, CHANGE_PASSWORD, DIVISIONS, FIGURES_QUERY, LOGIN, LOGOUT, OVERDUE_PAGE, WHO_AM_I, graphql, token,
} from "./api.js";
import { drawBars, drawDailyLine } from "./charts.js";

const REGION_CODE = "450000";
const ROLE_NAMES = {
  SUPERADMIN: "系统管理员", REGION_REVIEWER: "自治区司法厅", TRAINING_OPERATOR: "培训机构",
  DEPT_REVIEWER: "主管部门", CITY_REVIEWER: "市司法局", COUNTY_REVIEWER: "县（市、区）司法局", UNIT_ADMIN: "单位管理员",
};
const STATUS_NAMES = {
  DRAFT: "草稿", PENDING_INITIAL: "待初审", PENDING_FINAL: "待终审", RETURNED: "已退回", APPROVED: "终审通过",
  ROLLBACK_REQUESTED: "回退申请中", TRAINING_OPENED: "已开通培训",
};
// The status cards: figures of the jurisdiction's total, except drafts, which only the STATUS rows count.
const CARDS = [
  { figure: "count", label: "报名总数", tone: "total" },
  { figure: "draft", label: "草稿（未提交）" },
  { figure: "pendingInitial", label: "待初审" },
  { figure: "pendingFinal", label: "待终审" },
  { figure: "rollbackRequested", label: "回退申请中" },
  { figure: "returned", label: "已退回" },
  { figure: "approved", label: "终审通过", tone: "good" },
  { figure: "trainingOpened", label: "已开通培训", tone: "good" },
  { figure: "overdue", label: "审核超期", tone: "alert" },
  { figure: "photoMissingOrRejected", label: "照片未上传或不合格", tone: "warn" },
];
const BAR_SERIES = [
  { key: "approved", name: "已通过（含已开通培训）" },
  { key: "reviewing", name: "审核中" },
  { key: "returned", name: "已退回" },
  { key: "draft", name: "未提交" },
];

const state = { me: null, sessionId: null, area: null, timer: null, loading: false, loginPassword: "" };
const $ = (id) => document.getElementById(id);
const clock = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
});
const dueFormat = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false,
});

function refreshSeconds() {
  const asked = Number(new URLSearchParams(location.search).get("refresh"));
  return Number.isFinite(asked) && asked >= 2 ? Math.min(asked, 3600) : 30;
}

function show(view) {
  for (const id of ["login-view", "password-view", "dashboard-view"]) $(id).hidden = id !== view;
  $("account").hidden = view !== "dashboard-view";
}

function say(element, message) {
  element.textContent = message || "";
  element.hidden = !message;
}

function stopPolling() {
  clearTimeout(state.timer);
  state.timer = null;
}

// ---- signing in ------------------------------------------------------------------------------------

function showLogin(message) {
  stopPolling();
  state.me = null;
  show("login-view");
  say($("login-error"), message);
  $("username").focus();
}

async function onLogin(event) {
  event.preventDefault();
  const button = event.submitter || $("login-form").querySelector("button");
  button.disabled = true;
  say($("login-error"), "");
  token.clear();
  try {
    const password = $("password").value;
    const { login } = await graphql(LOGIN, { username: $("username").value.trim(), password });
    if (login.errors.length) {
      say($("login-error"), login.errors.map((e) => e.message).join("；"));
      return;
    }
    token.set(login.token);
    $("password").value = "";
    if (login.user.mustChangePassword) {
      state.loginPassword = password;
      showPasswordChange();
    } else {
      await enter();
    }
  } catch (error) {
    say($("login-error"), error.message);
  } finally {
    button.disabled = false;
  }
}

function showPasswordChange() {
  stopPolling();
  show("password-view");
  $("old-password").value = state.loginPassword;
  say($("password-error"), "");
  $("new-password").focus();
}

async function onChangePassword(event) {
  event.preventDefault();
  const fresh = $("new-password").value;
  if (fresh !== $("confirm-password").value) {
    say($("password-error"), "两次输入的新密码不一致，请重新输入。");
    return;
  }
  try {
    const { changePassword } = await graphql(CHANGE_PASSWORD, { old: $("old-password").value, new: fresh });
    if (changePassword.errors.length) {
      say($("password-error"), changePassword.errors.map((e) => e.message).join("；"));
      return;
    }
    state.loginPassword = "";
    $("password-form").reset();
    await enter();
  } catch (error) {
    handleFailure(error, $("password-error"));
  }
}

async function signOut() {
  stopPolling();
  try {
    await graphql(LOGOUT);
  } catch {
    // The token is forgotten below whatever the server answered.
  }
  token.clear();
  showLogin("已退出登录。");
}

function needsSignIn(error) {
  return error instanceof ApiError && (error.code === "UNAUTHENTICATED" || error.code === "PASSWORD_CHANGE_REQUIRED");
}

/** An expired token or a pending password change takes the user to the right form; others are shown in place. */
function handleFailure(error, where) {
  if (error instanceof ApiError && error.code === "UNAUTHENTICATED") {
    token.clear();
    showLogin(error.message);
  } else if (error instanceof ApiError && error.code === "PASSWORD_CHANGE_REQUIRED") {
    showPasswordChange();
  } else if (where) {
    say(where, error.message);
  }
}

// ---- the dashboard ---------------------------------------------------------------------------------

async function enter() {
  try {
    const { me, examSessions } = await graphql(WHO_AM_I);
    state.me = me;
    state.area = areaOf(me.role);
    $("who").textContent = `${me.name}（${ROLE_NAMES[me.role] || me.role}）`;
    $("area-title").textContent = state.area.title;
    $("scope-name").textContent = await scopeName(me);
    fillSessions(examSessions);
    show("dashboard-view");
    $("no-session").hidden = examSessions.length > 0;
    $("figures").hidden = examSessions.length === 0;
    if (examSessions.length) await refresh();
  } catch (error) {
    if (needsSignIn(error)) handleFailure(error);
    else showLogin(error.message);
  }
}

function areaOf(role) {
  switch (role) {
    case "CITY_REVIEWER":
      return { dimension: "COUNTY", title: "各县（市、区）报名人数", label: (key) => key.county || "市直单位" };
    case "COUNTY_REVIEWER":
    case "DEPT_REVIEWER":
    case "UNIT_ADMIN":
      return { dimension: "UNIT", title: "各单位报名人数", label: (key) => (key.unit ? key.unit.name : "—") };
    default:
      return { dimension: "CITY", title: "各市报名人数", label: (key) => key.city || "区直单位" };
  }
}

async function scopeName(me) {
  if (me.role === "CITY_REVIEWER" || me.role === "COUNTY_REVIEWER") {
    const code = me.divisionCode || "";
    const parent = me.role === "CITY_REVIEWER" ? REGION_CODE : code.slice(0, 4) + "00";
    const { divisions } = await graphql(DIVISIONS, { parent });
    const found = divisions.find((d) => d.code === code);
    return found ? found.name : code;
  }
  if (me.role === "DEPT_REVIEWER" || me.role === "UNIT_ADMIN") return me.unit ? me.unit.name : "";
  return "全区";
}

function fillSessions(sessions) {
  const select = $("exam-session");
  select.replaceChildren(...sessions.map((s) => {
    const option = document.createElement("option");
    option.value = s.id;
    option.textContent = s.isOpen ? `${s.name}（报名中）` : s.name;
    return option;
  }));
  const kept = sessions.find((s) => s.id === state.sessionId);
  state.sessionId = kept ? kept.id : sessions.length ? sessions[0].id : null;
  select.value = state.sessionId || "";
}

async function refresh() {
  if (state.loading || !state.sessionId) return;
  stopPolling();
  state.loading = true;
  try {
    const data = await graphql(FIGURES_QUERY, { session: state.sessionId, area: [state.area.dimension] });
    render(data);
    const at = new Date();
    $("updated").textContent = `更新于 ${clock.format(at)}（每 ${refreshSeconds()} 秒自动刷新）`;
    $("updated").dataset.updatedAt = at.toISOString();
    say($("refresh-error"), "");
  } catch (error) {
    if (needsSignIn(error)) handleFailure(error);
    else say($("refresh-error"), `刷新失败：${error.message}将在 ${refreshSeconds()} 秒后重试，页面上仍是上次的数据。`);
  } finally {
    state.loading = false;
    if (state.me && !$("dashboard-view").hidden) state.timer = setTimeout(refresh, refreshSeconds() * 1000);
  }
}

function render({ byStatus, byArea, byDay, overdue }) {
  renderCards(byStatus);
  drawBars($("area-chart"), areaBars(byArea.rows), BAR_SERIES, { emptyMessage: "本批次暂无报名" });
  $("area-legend").replaceChildren(...BAR_SERIES.map((s) => {
    const item = document.createElement("span");
    item.className = `key series-${s.key}`;
    item.textContent = s.name;
    return item;
  }));
  const days = byDay.rows.filter((r) => r.key.submissionDay).map((r) => ({ day: r.key.submissionDay, count: r.figures.count }));
  drawDailyLine($("daily-chart"), days);
  renderOverdue(overdue);
}

function renderCards({ rows, total }) {
  const draft = rows.find((r) => r.key.status === "DRAFT");
  const figures = { ...total, draft: draft ? draft.figures.count : 0 };
  $("status-cards").replaceChildren(...CARDS.map((card) => {
    const box = document.createElement("div");
    box.className = `card ${card.tone || ""}`;
    box.dataset.figure = card.figure;
    const value = document.createElement("span");
    value.className = "value";
    value.textContent = figures[card.figure].toLocaleString("zh-CN");
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = card.label;
    box.append(value, label);
    return box;
  }));
}

function areaBars(rows) {
  const bars = rows.map(({ key, figures: f }) => {
    const approved = f.approved + f.trainingOpened;
    const reviewing = f.pendingInitial + f.pendingFinal + f.rollbackRequested;
    const draft = f.count - approved - reviewing - f.returned;
    return {
      label: state.area.label(key), count: f.count, overdue: f.overdue, unnamed: !(key.city || key.county || key.unit),
      segments: [
        { key: "approved", value: approved }, { key: "reviewing", value: reviewing },
        { key: "returned", value: f.returned }, { key: "draft", value: draft },
      ],
    };
  });
  // Largest first; the group without a city or county (区直、市直单位) last.
  return bars.sort((a, b) => a.unnamed - b.unnamed || b.count - a.count || a.label.localeCompare(b.label, "zh-CN"));
}

function renderOverdue({ totalCount, edges }) {
  $("overdue-count").textContent = String(totalCount);
  $("overdue-count").classList.toggle("zero", totalCount === 0);
  const records = edges.map((e) => e.node).sort((a, b) => a.dueAt.localeCompare(b.dueAt));
  $("overdue-hint").textContent = totalCount > edges.length
    ? `共 ${totalCount} 条已超过审核期限，列出最近提交的 ${OVERDUE_PAGE} 条，按审核截止时间排序。`
    : "已超过审核期限（提交后 3 个工作日）仍未处理的报名，最早到期的在前。";
  if (!records.length) {
    const row = document.createElement("tr");
    const cell = document.createElement("td");
    cell.colSpan = 5;
    cell.className = "empty";
    cell.textContent = "没有超期未审核的报名。";
    row.append(cell);
    $("overdue-rows").replaceChildren(row);
    return;
  }
  const now = Date.now();
  $("overdue-rows").replaceChildren(...records.map((r) => {
    const row = document.createElement("tr");
    row.dataset.id = r.id;
    const due = new Date(r.dueAt);
    for (const text of [r.name, r.unit.name, STATUS_NAMES[r.status] || r.status, dueFormat.format(due), lateness(now - due)]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  }));
}

function lateness(milliseconds) {
  const hours = Math.max(0, Math.floor(milliseconds / 3_600_000));
  const days = Math.floor(hours / 24);
  if (days === 0) return `${hours} 小时`;
  return hours % 24 ? `${days} 天 ${hours % 24} 小时` : `${days} 天`;
}

function start() {
  $("login-form").addEventListener("submit", onLogin);
  $("password-form").addEventListener("submit", onChangePassword);
  $("password-cancel").addEventListener("click", signOut);
  $("logout").addEventListener("click", signOut);
  $("refresh").addEventListener("click", refresh);
  $("exam-session").addEventListener("change", (event) => {
    state.sessionId = event.target.value;
    refresh();
  });
  if (token.get()) enter();
  else showLogin();
}

start();
