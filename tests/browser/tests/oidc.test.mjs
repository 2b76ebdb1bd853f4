// Single sign-on against a real OpenID Connect provider (the `oidc-provider` package, run
// here in node): Bluelamp discovers it, sends the browser there with PKCE, state and nonce,
// exchanges the code and validates the RS256 ID token, then maps the claims to a user. Users
// without a second factor or without a Bluelamp role are refused, and every attempt is in
// the audit trail.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as netServer } from "node:net";
import { generateKeyPairSync } from "node:crypto";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";
import Provider from "oidc-provider";

const here = dirname(fileURLToPath(import.meta.url));
const artifacts = join(here, "..", "artifacts");
mkdirSync(artifacts, { recursive: true });
const bin = process.env.BLUELAMP_BIN;
if (!bin) throw new Error("Set BLUELAMP_BIN to the bluelamp binary");

const SECRET = "a-client-secret-for-the-test-provider-only";
let server, browser, base, idp;

// The force directory, as the provider knows it.
const accounts = {
  "sso.sergeant": { name: "PS 88 Okoro", rank: "PS", roles: ["custody_officer"], unit: "CUSTODY", clearance: "OFFICIAL-SENSITIVE", compartments: [] },
  "sso.visitor": { name: "Mx Visitor", rank: "", roles: [], unit: "HQ", clearance: "OFFICIAL", compartments: [] },
};

function freePort() {
  return new Promise((resolve) => {
    const s = netServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function readBody(req) {
  return new Promise((resolve) => {
    let b = "";
    req.on("data", (c) => { b += c; });
    req.on("end", () => resolve(b));
  });
}

before(async () => {
  const appPort = await freePort();
  const idpPort = await freePort();
  const issuer = `http://127.0.0.1:${idpPort}`;
  base = `http://127.0.0.1:${appPort}`;
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid: "test-rsa-1", use: "sig", alg: "RS256" };
  const provider = new Provider(issuer, {
    clients: [{
      client_id: "bluelamp",
      client_secret: SECRET,
      redirect_uris: [`${base}/sign-in/oidc/callback`],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    }],
    jwks: { keys: [jwk] },
    claims: {
      acr: null,
      auth_time: null,
      sid: null,
      // As Entra ID and most providers do, say in every ID token how the user signed in.
      openid: ["sub", "amr"],
      profile: ["name", "preferred_username"],
      bluelamp: ["roles", "unit", "clearance", "compartments", "rank"],
    },
    conformIdTokenClaims: false,
    cookies: { keys: ["a-cookie-signing-key-for-the-test-provider"] },
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const a = accounts[sub];
      if (!a) return undefined;
      return { accountId: sub, async claims() { return { sub, preferred_username: sub, ...a }; } };
    },
    // A first-party client: no consent screen.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope("openid profile bluelamp");
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();
  idp = createServer(async (req, res) => {
    try {
      if (req.url.startsWith("/interaction/")) {
        await provider.interactionDetails(req, res);
        if (req.method === "GET") {
          res.setHeader("content-type", "text/html; charset=utf-8");
          res.end(`<!doctype html><html lang="en"><head><title>Force sign-in</title></head><body><main>
            <h1>Force identity provider</h1>
            <form method="post"><label for="u">Account</label> <input id="u" name="username">
            <label><input type="checkbox" name="mfa" value="yes" checked> Second factor used</label>
            <button type="submit">Continue</button></form></main></body></html>`);
          return;
        }
        const form = new URLSearchParams(await readBody(req));
        const amr = form.get("mfa") === "yes" ? ["pwd", "mfa"] : ["pwd"];
        await provider.interactionFinished(req, res, { login: { accountId: form.get("username"), amr } }, { mergeWithLastSubmission: false });
        return;
      }
      callback(req, res);
    } catch (e) {
      res.statusCode = 500;
      res.end(String(e));
    }
  });
  await new Promise((r) => idp.listen(idpPort, "127.0.0.1", r));

  const dataDir = mkdtempSync(join(tmpdir(), "bluelamp-oidc-"));
  writeFileSync(join(dataDir, "oidc-secret"), SECRET, { mode: 0o600 });
  writeFileSync(join(dataDir, "bluelamp.toml"), [
    `public_url = "${base}"`,
    `oidc_issuer = "${issuer}"`,
    `oidc_client_id = "bluelamp"`,
    `oidc_client_secret_file = "${join(dataDir, "oidc-secret")}"`,
    `oidc_scopes = "profile bluelamp"`,
    `oidc_button_label = "Sign in with your force account"`,
  ].join("\n"));
  server = spawn(bin, ["serve", "--listen", `127.0.0.1:${appPort}`, "--data-dir", dataDir, "--config", join(dataDir, "bluelamp.toml")], { stdio: ["ignore", "pipe", "pipe"] });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the server did not start within 30 s")), 30000);
    let out = "";
    server.stdout.on("data", (chunk) => {
      out += chunk;
      if (/running at http/.test(out)) { clearTimeout(timer); resolve(); }
    });
    server.stderr.on("data", (chunk) => process.stderr.write(chunk));
    server.on("exit", (code) => reject(new Error(`the server exited with ${code}`)));
  });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  idp?.close();
});

async function throughProvider(page, username, mfa = true) {
  await page.goto(`${base}/custody`);
  await page.getByRole("heading", { level: 1, name: "Sign in to Bluelamp" }).waitFor();
  await page.getByRole("link", { name: "Sign in with your force account" }).click();
  await page.getByRole("heading", { level: 1, name: "Force identity provider" }).waitFor();
  await page.getByLabel("Account").fill(username);
  if (!mfa) await page.getByLabel("Second factor used").uncheck();
  await page.getByRole("button", { name: "Continue" }).click();
}

test("sign in through the force's OpenID Connect provider and land where you were going", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/sign-in`);
  const axe = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]).analyze();
  assert.deepEqual(axe.violations.map((v) => v.id), [], "the sign-in page with single sign-on is accessible");
  await throughProvider(page, "sso.sergeant");
  await page.getByRole("heading", { level: 1, name: /custody suite|Detainees in custody/ }).waitFor();
  assert.match(await page.locator("header").innerText(), /PS 88 Okoro \(Custody officer, CUSTODY\)/);
  await page.screenshot({ path: join(artifacts, "40-sso-signed-in.png"), fullPage: true });
  await context.close();
});

test("no second factor, or no Bluelamp role, and single sign-on refuses, saying why", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await throughProvider(page, "sso.sergeant", false);
  await page.getByRole("heading", { level: 1, name: "Sign in to Bluelamp" }).waitFor();
  assert.match(await page.locator("main").innerText(), /did not confirm two-step verification/);
  const other = await browser.newContext();
  const page2 = await other.newPage();
  await throughProvider(page2, "sso.visitor");
  await page2.getByRole("heading", { level: 1, name: "Sign in to Bluelamp" }).waitFor();
  assert.match(await page2.locator("main").innerText(), /no Bluelamp role/);
  await other.close();
  await context.close();
});

test("a callback that was not started in this browser is refused", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/sign-in/oidc/callback?code=stolen&state=forged`);
  await page.getByRole("heading", { level: 1, name: "Sign in to Bluelamp" }).waitFor();
  assert.match(await page.locator("main").innerText(), /expired or was started in another browser/);
  await context.close();
});
