// gridscore.mjs — the real gridscore binary for browser tests: a demo database made once
// per run (`gridscore init --demo`, its printed logins parsed), copied fresh for every
// test; `gridscore serve --listen 127.0.0.1:0` on an ephemeral loopback port (the port is
// read from its "listening on port N" line, as tests/server.h does); CLI commands; the
// JSON API with a session or a token; QR images decoded with zbarimg.
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';

/* Runs a program; resolves {code, stdout, stderr} (never rejects on a non-zero exit). */
export function run(file, args, { input, env, timeoutMs = 60000 } = {}) {
	return new Promise((resolve, reject) => {
		const child = execFile(file, args, { env: env ?? process.env, timeout: timeoutMs, maxBuffer: 16 << 20,
			encoding: 'buffer' }, (err, stdout, stderr) => {
			if (err && typeof err.code !== 'number' && !err.killed) {
				reject(new Error(`${file}: ${err.message}`));
				return;
			}
			resolve({ code: err ? (err.killed ? -1 : err.code) : 0, stdout: stdout.toString('utf8'),
				stderr: stderr.toString('utf8'), stdoutBytes: stdout });
		});
		child.stdin.end(input ?? '');
	});
}

/* The logins `gridscore init --demo` prints:
 *   demo logins (login, password, scope):
 *     manager          9H4IJZGR0OrPnnW5   manager, reads everything
 * → Map login → {password, scope}. Throws if the block is missing. */
export function parseDemoLogins(stdout) {
	const lines = stdout.split('\n');
	const start = lines.findIndex((l) => l.startsWith('demo logins'));
	if (start < 0)
		throw new Error(`init --demo printed no "demo logins" block:\n${stdout}`);
	const logins = new Map();
	for (const l of lines.slice(start + 1)) {
		const m = /^ {2}(\S+) +(\S+) {3}(.*)$/.exec(l);
		if (!m)
			break;
		logins.set(m[1], { password: m[2], scope: m[3].trim() });
	}
	if (!logins.has('manager') || !logins.has('admin'))
		throw new Error(`init --demo printed no manager or admin login:\n${stdout}`);
	return logins;
}

export class Gridscore {
	/* bin: the gridscore binary; dir: a scratch folder of this run (emptied here). */
	constructor(bin, dir) {
		this.bin = bin;
		this.dir = dir;
		this.template = null;
		this.logins = null;
		this.serial = 0;
	}

	/* Makes the demo database once; every test gets a copy of it. */
	async prepare() {
		await rm(this.dir, { recursive: true, force: true });
		await mkdir(this.dir, { recursive: true });
		this.template = join(this.dir, 'demo-template.db');
		const r = await run(this.bin, ['--db', this.template, 'init', '--demo']);
		if (r.code !== 0)
			throw new Error(`gridscore init --demo failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
		this.logins = parseDemoLogins(r.stdout);
	}

	/* A fresh database (a copy of the demo one) and a server on it, not yet started. */
	async server(name) {
		const dir = join(this.dir, `${String(++this.serial).padStart(2, '0')}-${name}`);
		await mkdir(dir, { recursive: true });
		const db = join(dir, 'gridscore.db');
		for (const suffix of ['', '-wal', '-shm'])
			if (existsSync(this.template + suffix))
				await copyFile(this.template + suffix, db + suffix);
		return new Server(this, dir, db);
	}
}

export class Server {
	constructor(gs, dir, db) {
		this.gs = gs;
		this.dir = dir;
		this.db = db;
		this.log = join(dir, 'server.log');
		this.child = null;
		this.url = null;
		this.port = 0;
		this.exited = null;
	}

	get logins() {
		return this.gs.logins;
	}

	password(login) {
		const l = this.gs.logins.get(login);
		if (!l)
			throw new Error(`no demo login '${login}'`);
		return l.password;
	}

	/* `gridscore --db DB ARGS...`; throws with its output unless it exits 0. */
	async cli(args, input) {
		const r = await run(this.gs.bin, ['--db', this.db, ...args], { input });
		if (r.code !== 0)
			throw new Error(`gridscore ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
		return r;
	}

	/* Loads an org file (XML text) into the database: `gridscore org load`. */
	async orgLoad(name, xml) {
		const file = join(this.dir, name);
		await writeFile(file, xml);
		return this.cli(['org', 'load', file]);
	}

	/* A new API token (`gridscore token add`), printed once on stdout. */
	async token(name) {
		const r = await this.cli(['token', 'add', name]);
		const tok = r.stdout.trim();
		if (!/^\S{20,}$/.test(tok))
			throw new Error(`token add printed no token: '${r.stdout}'`);
		return tok;
	}

	/* Starts `serve --listen 127.0.0.1:0` and waits (up to 20 s) for its port. */
	async start(extraArgs = []) {
		const out = createWriteStream(this.log);
		const child = spawn(this.gs.bin, ['--db', this.db, 'serve', '--listen', '127.0.0.1:0', '--threads', '2',
			...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
		this.child = child;
		child.stderr.pipe(out);
		this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
		this.port = await new Promise((resolve, reject) => {
			let seen = '';
			const timer = setTimeout(() => reject(new Error(`server printed no port within 20 s (log: ${this.log})`)),
				20000);
			child.stdout.on('data', (d) => {
				seen += d.toString('utf8');
				const m = /listening on port (\d+)/.exec(seen);
				if (m) {
					clearTimeout(timer);
					resolve(Number(m[1]));
				}
			});
			child.on('exit', (code) => {
				clearTimeout(timer);
				reject(new Error(`server exited (${code}) before listening; log: ${this.log}`));
			});
		});
		this.url = `http://127.0.0.1:${this.port}`;
		return this;
	}

	/* SIGTERM, then waits up to 15 s; throws unless the server stopped cleanly (exit 0:
	 * under the sanitizer build a leak or an error report makes the exit non-zero). */
	async stop() {
		if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) {
			const e = this.child ? await this.exited : null;
			this.child = null;
			if (e && e.code !== 0)
				throw new Error(`the server had exited by itself (${e.code ?? e.signal}); log: ${this.log}`);
			return;
		}
		this.child.kill('SIGTERM');
		const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 15000));
		const e = await Promise.race([this.exited, timeout]);
		if (!e) {
			this.child.kill('SIGKILL');
			this.child = null;
			throw new Error(`the server did not stop within 15 s of SIGTERM; log: ${this.log}`);
		}
		this.child = null;
		if (e.code !== 0) {
			const log = await readFile(this.log, 'utf8').catch(() => '');
			throw new Error(`the server stopped with ${e.code ?? e.signal}; log ${this.log}:\n${log.slice(-4000)}`);
		}
	}

	/* GET a JSON API path with a bearer token; throws unless 200. */
	api(path, token) {
		return new Promise((resolve, reject) => {
			const req = http.get(this.url + path, { headers: { Authorization: `Bearer ${token}` } }, (res) => {
				const chunks = [];
				res.on('data', (c) => chunks.push(c));
				res.on('end', () => {
					const text = Buffer.concat(chunks).toString('utf8');
					if (res.statusCode !== 200) {
						reject(new Error(`GET ${path}: ${res.statusCode} ${text}`));
						return;
					}
					try {
						resolve(JSON.parse(text));
					} catch (e) {
						reject(new Error(`GET ${path}: not JSON (${e.message}): ${text.slice(0, 200)}`));
					}
				});
			});
			req.setTimeout(30000, () => req.destroy(new Error(`GET ${path}: no answer within 30 s`)));
			req.on('error', reject);
		});
	}
}

/* The text a QR code image holds (`zbarimg --raw -q`); throws unless exactly one code. */
export async function decodeQr(pngFile) {
	const r = await run('zbarimg', ['--raw', '-q', pngFile]);
	const lines = r.stdout.split('\n').filter((l) => l.length > 0);
	if (r.code !== 0 || lines.length !== 1)
		throw new Error(`zbarimg found ${lines.length} codes in ${pngFile} (exit ${r.code}): ${r.stdout}${r.stderr}`);
	return lines[0];
}
