// run.mjs — the browser test runner (docs/browser-tests.md). Runs every
// tests/browser/*.test.mjs in name order with one headless Debian Chromium driven by
// Playwright; each test gets its own gridscore server on a fresh copy of the demo
// database, its own browser contexts, and a folder of step screenshots under
// $GS_ARTIFACTS. Ends with "N passed, N failed"; exit 0 only if nothing failed.
//
//   node tests/browser/run.mjs [NAME-PART...]     only tests whose name contains a part
//
// Environment: GS_BIN (the gridscore binary, default build/gridscore), GS_ARTIFACTS
// (default build/browser-artifacts), GS_CHROMIUM (default /usr/bin/chromium),
// GS_UPDATE_DOCS=1 (also write docs/*.png), GS_SANITIZE=1 (a sanitizer build: longer
// timeouts), CI (missing tools fail instead of skipping).
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { Gridscore } from './lib/gridscore.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const src = resolve(here, '..', '..');
const SKIP = 77; /* ctest's SKIP_RETURN_CODE for this test */

const config = {
	src,
	bin: process.env.GS_BIN || join(src, 'build', 'gridscore'),
	artifacts: process.env.GS_ARTIFACTS || join(src, 'build', 'browser-artifacts'),
	chromium: process.env.GS_CHROMIUM || '/usr/bin/chromium',
	updateDocs: process.env.GS_UPDATE_DOCS === '1',
	sanitize: process.env.GS_SANITIZE === '1',
};
/* The flags of issue 6: no sandbox (root in CI), no GPU, and no network of its own. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];

/* Missing tools skip the run on a developer's machine (with what to do) and fail it in CI. */
function missing(what) {
	const msg = `browser tests: ${what}. Install with: .ci/deps test (apt: chromium zbar-tools fonts-wqy-microhei; npm ci)`;
	if (process.env.CI) {
		console.error(`FAIL ${msg}`);
		process.exit(1);
	}
	console.log(`SKIP ${msg}`);
	process.exit(SKIP);
}

async function loadTests(filters) {
	const files = (await readdir(here)).filter((f) => f.endsWith('.test.mjs')).sort();
	const tests = [];
	for (const f of files) {
		const mod = await import(pathToFileURL(join(here, f)).href);
		if (!Array.isArray(mod.tests))
			throw new Error(`${f} exports no 'tests' array`);
		for (const t of mod.tests) {
			if (typeof t.name !== 'string' || typeof t.run !== 'function')
				throw new Error(`${f}: every test needs a name and a run function`);
			tests.push({ ...t, file: f });
		}
	}
	return tests.filter((t) => filters.length === 0 || filters.some((p) => t.name.includes(p)));
}

function slug(s) {
	return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

/* What a test function receives. */
class TestContext {
	constructor(test, index, browser, gs) {
		this.name = test.name;
		this.config = config;
		this.browser = browser;
		this.gs = gs;
		this.dir = join(config.artifacts, `${String(index).padStart(2, '0')}-${slug(test.name)}`);
		this.step = 0;
		this.contexts = [];
		this.servers = [];
		this.notes = [];
	}

	/* A gridscore server on a fresh copy of the demo database. `setup(server)` runs
	 * before it starts (CLI commands on its database). */
	async server({ setup, args } = {}) {
		const s = await this.gs.server(slug(this.name));
		this.servers.push(s);
		if (setup)
			await setup(s);
		return s.start(args);
	}

	/* A browser context (cookies, viewport) closed after the test. */
	async newContext(options = {}) {
		const c = await this.browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...options });
		c.setDefaultTimeout(config.sanitize ? 30000 : 10000);
		this.contexts.push(c);
		return c;
	}

	/* A full-page screenshot of this step: ARTIFACTS/NN-test/NN-step.png. */
	async shot(page, step) {
		const file = join(this.dir, `${String(++this.step).padStart(2, '0')}-${slug(step)}.png`);
		await page.screenshot({ path: file, fullPage: true });
		return file;
	}

	/* A line printed under the test's result (measurements, expected failures). */
	note(line) {
		this.notes.push(line);
	}

	async cleanup() {
		const errors = [];
		for (const c of this.contexts)
			await c.close().catch((e) => errors.push(e));
		for (const s of this.servers)
			await s.stop().catch((e) => errors.push(e));
		return errors;
	}
}

function withTimeout(promise, ms, what) {
	let timer;
	const t = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
	});
	return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

async function main() {
	const filters = process.argv.slice(2);
	if (!existsSync(config.bin))
		missing(`the gridscore binary ${config.bin} is missing (build first, or set GS_BIN)`);
	if (!existsSync(config.chromium))
		missing(`${config.chromium} is missing`);
	if (!(process.env.PATH || '').split(':').some((d) => d && existsSync(join(d, 'zbarimg'))))
		missing('zbarimg (zbar-tools) is not on the PATH');
	let chromium;
	try {
		({ chromium } = await import('playwright-core'));
		await import('@axe-core/playwright');
	} catch (e) {
		missing(`the node packages are not installed (${e.code || e.message})`);
	}
	const tests = await loadTests(filters);
	if (tests.length === 0) {
		console.error(`no browser test matches ${filters.join(' ')}`);
		process.exit(1);
	}

	const started = Date.now();
	await rm(config.artifacts, { recursive: true, force: true });
	await mkdir(config.artifacts, { recursive: true });
	const gs = new Gridscore(config.bin, join(config.artifacts, 'servers'));
	await gs.prepare();
	/* launch() gives the browser a fresh temporary user-data dir, removed on close. */
	const browser = await chromium.launch({ executablePath: config.chromium, headless: true, args: CHROMIUM_ARGS });
	console.log(`browser tests: ${tests.length} tests, Chromium ${browser.version()}, artifacts in ${config.artifacts}`);

	let passed = 0, failed = 0, skipped = 0;
	const perTest = config.sanitize ? 180000 : 60000;
	for (const [i, test] of tests.entries()) {
		/* A test of what the browser sees only (axe-core on the HTML) gains nothing from
		 * a second run against the sanitizer build's server: `sanitize: false`. */
		if (config.sanitize && test.sanitize === false) {
			skipped++;
			console.log(`skip ${test.name} (the pages are the same as in the normal build, where it runs)`);
			continue;
		}
		const t = new TestContext(test, i + 1, browser, gs);
		await mkdir(t.dir, { recursive: true });
		const t0 = Date.now();
		let error = null;
		try {
			await withTimeout(test.run(t), perTest, test.name);
		} catch (e) {
			error = e;
			/* the page as it was when the test failed */
			for (const c of t.contexts)
				for (const p of c.pages())
					await t.shot(p, 'failure').catch(() => {});
		}
		const errs = await t.cleanup();
		if (!error && errs.length)
			error = errs[0];
		const ms = Date.now() - t0;
		if (error) {
			failed++;
			console.log(`FAIL ${test.name} (${test.file}, ${ms} ms)\n     ${String(error.stack || error).replace(/\n/g, '\n     ')}`);
		} else {
			passed++;
			console.log(`ok   ${test.name} (${ms} ms)`);
		}
		for (const n of t.notes)
			console.log(`     ${n.replace(/\n/g, '\n     ')}`);
	}
	await browser.close();
	console.log(`browser tests took ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${config.artifacts}`);
	console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
	process.exit(failed ? 1 : 0);
}

main().catch((e) => {
	console.error(`browser tests: ${e.stack || e}`);
	process.exit(1);
});
