// scores.test.mjs — a manager reads the unit scores on /scores and in the printable report
// /reports/{period}.html, and every score shown equals GET /api/v1/scores for that period.
import { DESKTOP, check, equal, login } from './lib/pages.mjs';

/* The unit rows of a scores table: Map code -> {score (text), indicators: [score text]}. */
async function scoreRows(page) {
	return new Map(await page.locator('table.scores > tbody > tr').evaluateAll((rows) => rows.map((tr) => [
		tr.id.replace(/^u-/, ''),
		{
			score: tr.cells[2].innerText.trim(),
			indicators: [...tr.querySelectorAll('ul.breakdown > li > strong')].map((s) => s.innerText.trim()),
		},
	])));
}

function sameAsApi(rows, api, where) {
	equal(rows.size, api.length, `${where}: units in the table vs the API`);
	let compared = 0;
	for (const u of api) {
		const row = rows.get(u.unit);
		check(row, `${where}: no row for ${u.unit}`);
		equal(row.score, u.score === null ? '—' : u.score.toFixed(2), `${where}: score of ${u.unit}`);
		/* each indicator with data shows its score, in the API's order */
		const withData = u.indicators.filter((x) => x.score !== null).map((x) => x.score.toFixed(2));
		equal(row.indicators.join(' '), withData.join(' '), `${where}: indicator scores of ${u.unit}`);
		compared += 1 + withData.length;
	}
	return compared;
}

export const tests = [{
	name: 'manager sees the same unit scores on /scores, in the period report and in the API',
	async run(t) {
		const server = await t.server();
		const ctx = await t.newContext({ ...DESKTOP, baseURL: server.url });
		const page = await ctx.newPage();
		await login(page, server, 'manager');

		await page.goto('/scores');
		await t.shot(page, 'scores');
		const href = await page.locator('a[href^="/reports/"][href$=".html"]').first().getAttribute('href');
		const period = /^\/reports\/(\d{4}(?:Q[1-4])?)\.html$/.exec(href ?? '')?.[1];
		check(period, `/scores links no period report (found '${href}')`);
		const res = await page.request.get(`/api/v1/scores?period=${period}`);
		equal(res.status(), 200, 'GET /api/v1/scores status');
		const api = await res.json();
		check(api.some((u) => u.score !== null), `the demo has no unit scores for ${period}`);
		const n1 = sameAsApi(await scoreRows(page), api, `/scores (${period})`);

		/* The printable report, reached from the page's link. */
		await Promise.all([page.waitForURL(`**${href}`), page.locator(`a[href="${href}"]`).first().click()]);
		await t.shot(page, 'report');
		const n2 = sameAsApi(await scoreRows(page), api, href);

		/* An earlier, closed quarter of the demo: the report again equals the API. */
		const prev = period.includes('Q')
			? (period.endsWith('Q1') ? `${Number(period.slice(0, 4)) - 1}Q4` : `${period.slice(0, 5)}${Number(period[5]) - 1}`)
			: String(Number(period) - 1);
		const apiPrev = await (await page.request.get(`/api/v1/scores?period=${prev}`)).json();
		await page.goto(`/reports/${prev}.html`);
		await t.shot(page, 'earlier report');
		const n3 = sameAsApi(await scoreRows(page), apiPrev, `/reports/${prev}.html`);
		t.note(`${period}: ${n1} scores on /scores, ${n2} in the report; ${prev}: ${n3} in its report, all equal to the API`);
	},
}];
