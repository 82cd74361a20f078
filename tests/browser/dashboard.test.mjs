// dashboard.test.mjs — managers and station users on the dashboard, unit and hall pages.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';

import { DESKTOP, check, equal, login, pct, satisfactionBlock, submitLogin } from './lib/pages.mjs';

/* A date `days` after the date string d (YYYY-MM-DD). */
function addDays(d, days) {
	const t = new Date(`${d}T00:00:00Z`);
	t.setUTCDate(t.getUTCDate() + days);
	return t.toISOString().slice(0, 10);
}

/* The unit or hall page's satisfaction equals the API's for the same code and range. */
async function sameAsApi(page, code, what) {
	const shown = await satisfactionBlock(page);
	const res = await page.request.get(`/api/v1/units/${code}/satisfaction?from=${shown.from}&to=${shown.to}`);
	equal(res.status(), 200, `GET /api/v1/units/${code}/satisfaction status`);
	const api = await res.json();
	equal(api.from, shown.from, `${what}: API period start`);
	equal(api.to, shown.to, `${what}: API period end`);
	check(api.responses > 0, `${what}: the demo data has no responses for ${code} in ${shown.from}..${shown.to}`);
	equal(shown.rate, pct(api.rate), `${what}: satisfaction rate on the page vs the API`);
	equal(shown.responses, api.responses, `${what}: responses on the page vs the API`);
	equal(shown.flagged, api.flagged, `${what}: flagged responses on the page vs the API`);
	return { shown, api };
}

export const tests = [
	{
		name: 'manager sees a station satisfaction percentage equal to the JSON API',
		async run(t) {
			const server = await t.server();
			const ctx = await t.newContext({ ...DESKTOP, baseURL: server.url });
			const page = await ctx.newPage();

			/* Not logged in: the dashboard sends to the login page. */
			await page.goto('/');
			check(new URL(page.url()).pathname === '/login', `/ without a session lands on ${page.url()}`);
			await t.shot(page, 'login page');
			await login(page, server, 'manager');
			equal(new URL(page.url()).pathname, '/', 'page after logging in');
			equal((await page.getByRole('heading', { level: 1 }).innerText()).trim(), '青禾县供电公司', 'dashboard heading');
			const company = await sameAsApi(page, 'QH', 'dashboard (company)');
			await t.shot(page, 'dashboard');

			/* Drill down to a station, as a manager would. */
			await Promise.all([page.waitForURL('**/units/QH-S01'),
				page.locator('ul.tree a[href="/units/QH-S01"]').first().click()]);
			const station = await sameAsApi(page, 'QH-S01', 'station page, default period');
			await t.shot(page, 'station page');

			/* A chosen period (the URL holds it): the first half of the default one. */
			const from = station.shown.from, to = addDays(from, 182);
			await page.goto(`/units/QH-S01?from=${from}&to=${to}`);
			const half = await sameAsApi(page, 'QH-S01', 'station page, chosen period');
			equal(half.shown.to, to, 'period end on the page');
			check(half.api.responses < station.api.responses, 'half the period has as many responses as all of it');
			await t.shot(page, 'station page chosen period');

			/* And one of its halls. */
			await page.goto('/units/QH-S01');
			await Promise.all([page.waitForURL('**/halls/QH-H01'), page.locator('a[href="/halls/QH-H01"]').first().click()]);
			await sameAsApi(page, 'QH-H01', 'hall page');
			await t.shot(page, 'hall page');
			t.note(`QH ${company.shown.rate} of ${company.api.responses}; QH-S01 ${station.shown.rate} of ` +
				`${station.api.responses} (${station.shown.from}..${station.shown.to}), ${half.shown.rate} of ` +
				`${half.api.responses} (${from}..${to})`);

			/* The picture of the dashboard in docs/ (GS_UPDATE_DOCS=1). */
			if (t.config.updateDocs) {
				await page.goto('/?lang=en');
				const file = join(t.dir, 'docs-dashboard.png');
				await page.screenshot({ path: file });
				await copyFile(file, join(t.config.src, 'docs', 'dashboard.png'));
				t.note('wrote docs/dashboard.png (1280×800, manager, English)');
			}
		},
	},
	{
		name: 'station user sees only the own station; a wrong password is refused',
		async run(t) {
			const server = await t.server();
			const page = await (await t.newContext({ ...DESKTOP, baseURL: server.url })).newPage();

			const status = await submitLogin(page, server, 'station-s01', 'not-the-password');
			check(status >= 400 && status < 500, `a wrong password answered ${status}`);
			equal(new URL(page.url()).pathname, '/login', 'page after a wrong password');
			const alert = page.getByRole('alert');
			check((await alert.count()) === 1 && (await alert.innerText()).trim().length > 0,
				'a wrong password shows no error message');
			await t.shot(page, 'wrong password');

			await login(page, server, 'station-s01');
			equal((await page.getByRole('heading', { level: 1 }).innerText()).trim(), '城关供电所', 'station dashboard heading');
			const links = await page.locator('main a[href^="/units/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
			const foreign = links.filter((h) => !/^\/units\/QH-S01(-|\/|$)/.test(h));
			equal(foreign.join(' '), '', 'links to other units on a station dashboard');
			await sameAsApi(page, 'QH-S01', 'station dashboard');
			await t.shot(page, 'station dashboard');

			for (const path of ['/units/QH-S02', '/halls/QH-H03', '/api/v1/units/QH-S02/satisfaction']) {
				const res = await page.goto(path);
				equal(res.status(), 403, `${path} for station-s01`);
			}
			await t.shot(page, 'other station forbidden');
		},
	},
];
