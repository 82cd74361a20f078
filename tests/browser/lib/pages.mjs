// pages.mjs — what people do on gridscore's pages, shared by the browser tests: log in
// through the login form, read the satisfaction block, check a page with axe-core.
import { AxeBuilder } from '@axe-core/playwright';

/* Desktop and phone contexts as people use them. */
export const DESKTOP = { viewport: { width: 1280, height: 800 } };
export const PHONE = {
	viewport: { width: 360, height: 740 },
	deviceScaleFactor: 2,
	isMobile: true,
	hasTouch: true,
	userAgent: 'Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) ' +
		'Chrome/124.0.0.0 Mobile Safari/537.36',
};

export function check(cond, message) {
	if (!cond)
		throw new Error(message);
}

export function equal(actual, expected, what) {
	if (actual !== expected)
		throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/* Opens /login, types the login and password and submits; returns the status of the
 * POST (303 when the login is accepted) once the page it leads to has loaded. */
export async function submitLogin(page, server, who, password) {
	await page.goto(`${server.url}/login`);
	await page.locator('#login').fill(who);
	await page.locator('#password').fill(password);
	const [res] = await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login'),
		page.locator('form[action="/login"] button[type=submit]').click(),
	]);
	if (res.status() === 303)
		await page.waitForURL((u) => u.pathname !== '/login');
	await page.waitForLoadState();
	return res.status();
}

/* Logs in (the demo password unless given); throws unless the login is accepted. */
export async function login(page, server, who, password = server.password(who)) {
	const status = await submitLogin(page, server, who, password);
	if (status !== 303)
		throw new Error(`logging in as ${who} answered ${status}, not 303`);
}

/* The satisfaction block of a dashboard, unit or hall page:
 * {from, to, rate (text such as "74.7%" or null), responses (number), flagged}. */
export async function satisfactionBlock(page) {
	const block = page.locator('section.satisfaction');
	const period = (await block.locator('p.crumbs').first().innerText()).trim();
	const m = /(\d{4}-\d{2}-\d{2})\s*–\s*(\d{4}-\d{2}-\d{2})/.exec(period);
	if (!m)
		throw new Error(`the satisfaction block shows no period: '${period}'`);
	const items = await block.locator('ul.figures > li').allInnerTexts();
	const first = items[0] ?? '';
	const rate = /^\s*(\d+\.\d)%/.exec(first);
	const number = (re) => {
		const li = items.find((x) => re.test(x));
		return li === undefined ? null : Number(/\d+/.exec(li)[0]);
	};
	return {
		from: m[1],
		to: m[2],
		rate: rate ? `${rate[1]}%` : null,
		responses: number(/份有效评价|responses/),
		flagged: number(/份可疑已剔除|flagged/),
	};
}

/* The API's rate (0..1) as the pages print it: one decimal of a percentage. */
export function pct(rate) {
	return `${(100 * rate).toFixed(1)}%`;
}

/* axe-core on the page as it is now, with its default rules (WCAG 2.x A and AA and best
 * practices); only violations are collected in full (faster, same findings). Returns
 * the serious and critical violations as {id, impact, help, helpUrl, nodes: [{target, fix}]}. */
export async function axeViolations(page) {
	const result = await new AxeBuilder({ page }).options({ resultTypes: ['violations'] }).analyze();
	return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({
		id: v.id,
		impact: v.impact,
		help: v.help,
		helpUrl: v.helpUrl,
		nodes: v.nodes.map((n) => ({ target: n.target.join(' '), fix: n.failureSummary.replace(/\s+/g, ' ').trim() })),
	}));
}

export function formatViolations(where, violations) {
	return violations.map((v) => `${where}: ${v.impact} ${v.id} — ${v.help}\n` +
		v.nodes.map((n) => `    at ${n.target}: ${n.fix}`).join('\n')).join('\n');
}
