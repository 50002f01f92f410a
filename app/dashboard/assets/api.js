// The public GraphQL API, as any client uses it: POST /graphql with a bearer token.

const TOKEN_KEY = "examreg.dashboard.token";

export class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

const MESSAGES = {
  UNAUTHENTICATED: "登录已失效，请重新登录。",
  FORBIDDEN: "本账号无权查看这些统计。",
  PASSWORD_CHANGE_REQUIRED: "该账号仍在使用初始密码，须先修改密码才能查看统计。",
};

/** Run one GraphQL operation; GraphQL errors become an ApiError with the server's extensions.code. */
export async function graphql(query, variables = {}) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  const bearer = token.get();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST", headers, body: JSON.stringify({ query, variables }), cache: "no-store",
    });
  } catch {
    throw new ApiError("NETWORK", "无法连接服务器，请检查网络。");
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError("HTTP_" + response.status, `服务器返回错误（HTTP ${response.status}）。`);
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    const code = (first.extensions && first.extensions.code) || "ERROR";
    throw new ApiError(code, MESSAGES[code] || first.message || "请求失败。");
  }
  return body.data;
}

export const LOGIN = `mutation DashboardLogin($username: String!, $password: String!) {
  login(username: $username, password: $password) {
    token
    user { mustChangePassword }
    errors { code field message }
  }
}`;

export const CHANGE_PASSWORD = `mutation DashboardChangePassword($old: String!, $new: String!) {
  changePassword(oldPassword: $old, newPassword: $new) {
    user { mustChangePassword }
    errors { code field message }
  }
}`;

export const LOGOUT = `mutation DashboardLogout { logout { ok errors { message } } }`;

export const WHO_AM_I = `query DashboardAccount {
  me { name role divisionCode unit { name } }
  examSessions { id name isOpen }
}`;

export const DIVISIONS = `query DashboardDivisions($parent: String) {
  divisions(parentCode: $parent) { code name }
}`;

const FIGURES = "count pendingInitial pendingFinal rollbackRequested overdue returned approved trainingOpened photoMissingOrRejected";

export const OVERDUE_PAGE = 100;

export const FIGURES_QUERY = `query DashboardFigures($session: ID!, $area: [StatisticsDimension!]!) {
  byStatus: statistics(sessionId: $session, groupBy: [STATUS]) {
    rows { key { status } figures { count } }
    total { ${FIGURES} }
  }
  byArea: statistics(sessionId: $session, groupBy: $area) {
    rows { key { cityCode city countyCode county unit { id name } } figures { ${FIGURES} } }
  }
  byDay: statistics(sessionId: $session, groupBy: [SUBMISSION_DAY]) {
    rows { key { submissionDay } figures { count } }
  }
  overdue: registrations(sessionId: $session, filter: { overdue: true }, first: ${OVERDUE_PAGE}) {
    totalCount
    edges { node { id name status dueAt unit { name } } }
  }
}`;
