// accessibility.test.mjs — axe-core (its default rules: WCAG 2.x A/AA and best practices) on the pages
// customers, managers, station users and administrators use: no serious or critical violations.
import { DESKTOP, PHONE, axeViolations, equal, formatViolations, login } from './lib/pages.mjs';

/* Each page: who opens it, on what, and how it is reached. */
const PAGES = [
	{ name: 'survey page', phone: true, path: async (server, token) => surveyPath(server, token, 'QH-H01') },
	{ name: 'login page', path: async () => '/login' },
	{ name: 'dashboard', login: 'manager', path: async () => '/' },
	{ name: 'unit page', login: 'manager', path: async () => '/units/QH-S01' },
	{ name: 'hall page', login: 'manager', path: async () => '/halls/QH-H01' },
];

/* The work pages: scores, imports and administration (a second test: axe-core takes
 * 3-5 s a page, and one test has 60 s). */
const WORK_PAGES = [
	{ name: 'scores page', login: 'manager', path: async () => '/scores' },
	{ name: 'imports page', login: 'station-s03', path: async () => '/imports' },
	{ name: 'admin halls page', login: 'admin', path: async () => '/admin/halls' },
	{ name: 'admin hall edit page', login: 'admin', path: async () => '/admin/halls/QH-H01' },
	{ name: 'admin units page', login: 'admin', path: async () => '/admin/units' },
	{ name: 'admin person page', login: 'admin', path: async () => '/admin/people/QH-P01' },
];

async function surveyPath(server, token, hall) {
	const halls = await server.api('/api/v1/halls', token);
	const h = halls.find((x) => x.code === hall);
	if (!h || !h.survey_url)
		throw new Error(`GET /api/v1/halls lists no survey URL for ${hall}`);
	return new URL(h.survey_url).pathname;
}

/* Opens each page as its user and runs axe-core; returns the violations found (as text)
 * and the pages by session. */
async function checkPages(t, pages) {
	let token;
	const server = await t.server({ setup: async (s) => { token = await s.token('axe'); } });
	const found = [];
	const sessions = new Map();
	for (const p of pages) {
		const key = p.phone ? 'phone' : p.login ?? 'anonymous';
		if (!sessions.has(key)) {
			const ctx = await t.newContext({ ...(p.phone ? PHONE : DESKTOP), baseURL: server.url });
			const page = await ctx.newPage();
			if (p.login)
				await login(page, server, p.login);
			sessions.set(key, page);
		}
		const page = sessions.get(key);
		const res = await page.goto(await p.path(server, token));
		equal(res.status(), 200, `${p.name} status`);
		await t.shot(page, p.name);
		const v = await axeViolations(page);
		if (v.length)
			found.push(formatViolations(`${p.name} (${new URL(page.url()).pathname})`, v));
	}
	if (found.length)
		throw new Error(`axe-core found serious or critical violations:\n${found.join('\n')}`);
	return sessions;
}

export const tests = [
	{
		name: 'axe-core: no serious or critical violations on the survey, login, dashboard, unit and hall pages',
		sanitize: false, /* the same HTML as the normal build, where it runs; axe-core takes 10-35 s */
		async run(t) {
			const sessions = await checkPages(t, PAGES);
			/* The check itself works: a field without a label planted in the last page is found. */
			const page = sessions.get('manager');
			await page.evaluate(() => document.querySelector('main').insertAdjacentHTML('beforeend', '<input id="planted" type="text">'));
			const planted = await axeViolations(page);
			const label = planted.find((v) => v.id === 'label');
			if (!label || !label.nodes.some((n) => n.target === '#planted'))
				throw new Error(`axe-core did not report an unlabelled field: ${JSON.stringify(planted)}`);
			t.note(`${PAGES.length} pages checked, axe-core ${await page.evaluate(() => window.axe?.version)}`);
		},
	},
	{
		name: 'axe-core: no serious or critical violations on the scores, imports and admin pages',
		sanitize: false,
		async run(t) {
			await checkPages(t, WORK_PAGES);
			t.note(`${WORK_PAGES.length} pages checked`);
		},
	},
];
