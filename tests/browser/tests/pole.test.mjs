// Browser test: a person uses the pages as they would on a phone or laptop. Starts the real
// binary on a free port with its own data directory, drives Debian's Chromium with
// playwright-core, checks every page visited with axe (WCAG 2.2 AA), and saves screenshots
// in tests/browser/artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createHmac } from "node:crypto";
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";

const here = dirname(fileURLToPath(import.meta.url));
const artifacts = join(here, "..", "artifacts");
mkdirSync(artifacts, { recursive: true });
const bin = process.env.BLUELAMP_BIN;
if (!bin) throw new Error("Set BLUELAMP_BIN to the bluelamp binary (cargo build, then target/debug/bluelamp)");

let server, browser, base, dataDir;
const passwords = {};

// Creates a user with the CLI (as force IT would create the first administrator) and keeps
// the one-time password it prints.
function addUser(dataDir, username, roles, unit, clearance) {
  const args = ["users", "add", "--data-dir", dataDir, "--username", username, "--name", `Browser ${username}`, "--unit", unit, "--clearance", clearance, "--rank", "PC"];
  for (const r of roles) args.push("--role", r);
  const out = execFileSync(bin, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const m = out.match(/First password \(shown once\): (\S+)/);
  if (!m) throw new Error(`no password in: ${out}`);
  passwords[username] = m[1];
}

// A page signed in as `username`, through the sign-in page as a person would.
async function signedIn(context, username) {
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.getByRole("heading", { level: 1, name: "Sign in to Bluelamp" }).waitFor();
  await page.getByLabel("User name").fill(username);
  await page.getByLabel("Password").fill(passwords[username]);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("link", { name: "Sign out" }).or(page.getByRole("button", { name: "Sign out" })).waitFor();
  return page;
}

// Known, reviewed exceptions to WCAG checks. Empty: every page must pass.
const AXE_EXCEPTIONS = [];

async function checkAccessibility(page, name) {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .disableRules(AXE_EXCEPTIONS)
    .analyze();
  const problems = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  assert.deepEqual(problems, [], `accessibility problems on ${name}`);
}

async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "bluelamp-browser-"));
  addUser(dataDir, "browser.officer", ["officer", "supervisor"], "CID", "OFFICIAL-SENSITIVE");
  addUser(dataDir, "browser.admin", ["administrator"], "IT", "OFFICIAL");
  addUser(dataDir, "browser.target", ["officer"], "RESPONSE", "OFFICIAL");
  addUser(dataDir, "browser.mfa", ["investigator"], "CID", "OFFICIAL");
  addUser(dataDir, "browser.sergeant", ["custody_officer"], "CUSTODY", "OFFICIAL-SENSITIVE");
  addUser(dataDir, "browser.response", ["officer"], "RESPONSE", "OFFICIAL-SENSITIVE");
  addUser(dataDir, "browser.psd", ["professional_standards"], "PSD", "SECRET");
  addUser(dataDir, "browser.passkey", ["investigator"], "CID", "OFFICIAL");
  addUser(dataDir, "browser.idle", ["officer"], "RESPONSE", "OFFICIAL");
  server = spawn(bin, ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir], { stdio: ["ignore", "pipe", "pipe"] });
  base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the server did not start within 30 s")), 30000);
    let out = "";
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/running at (http:\/\/[^\s/]+)\//);
      if (m) { clearTimeout(timer); resolve(m[1]); }
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
});

test("create a person and a vehicle, link them, and find the link on the person's page", async () => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const signIn = await context.newPage();
  await signIn.goto(`${base}/persons`);
  await signIn.getByRole("heading", { level: 1, name: "Sign in to Bluelamp" }).waitFor();
  assert.match(await signIn.getByRole("region", { name: "System use notice" }).innerText(), /authorised use only/);
  await checkAccessibility(signIn, "sign in");
  await shot(signIn, "00-sign-in");
  await signIn.close();
  const page = await signedIn(context, "browser.officer");
  await page.goto(`${base}/`);
  await checkAccessibility(page, "home");

  // A mistake first: the form comes back with an error summary and the message by the field.
  await page.goto(`${base}/persons/new`);
  await checkAccessibility(page, "new person");
  await page.getByRole("button", { name: "Save" }).click();
  await assert.doesNotReject(page.getByRole("alert").getByText("There is a problem").waitFor());
  assert.match(await page.locator("#family_name-error").innerText(), /Enter a family name/);
  await checkAccessibility(page, "new person with errors");
  await shot(page, "01-person-form-errors");

  await page.getByLabel("Family name").fill("Okafor");
  await page.getByLabel("Given names").fill("Chidi Emeka");
  await page.getByLabel("Day").fill("14");
  await page.getByLabel("Month").fill("7");
  await page.getByLabel("Year").fill("1990");
  await page.getByLabel("National Insurance number").fill("QQ 12 34 56 C");
  await page.getByLabel("Violent (VI)").check();
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { level: 1, name: "OKAFOR, Chidi Emeka" }).waitFor();
  assert.match(await page.getByRole("status").innerText(), /Record created/);
  const personUrl = page.url().split("?")[0];
  await checkAccessibility(page, "person");
  await shot(page, "02-person");

  await page.goto(`${base}/objects/new`);
  await checkAccessibility(page, "choose object kind");
  await page.getByLabel("Vehicle").check();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByLabel("Registration number").fill("kx19abc");
  await page.getByLabel("Make").fill("Vauxhall");
  await page.getByLabel("Model").fill("Corsa");
  await page.getByLabel("Colour").fill("Red");
  await checkAccessibility(page, "new vehicle");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { level: 1, name: "Vehicle KX19 ABC (Vauxhall Corsa, red)" }).waitFor();
  await shot(page, "03-vehicle");

  await page.goto(personUrl);
  await page.getByRole("link", { name: "Add a link" }).click();
  await page.getByLabel("How is it linked?").selectOption({ label: "Owner of" });
  await page.getByLabel("Kind of record").selectOption({ label: "Objects" });
  // Search as you type (htmx): the candidate appears without submitting.
  await page.getByLabel("Find the record").pressSequentially("vehicle kx", { delay: 30 });
  const candidate = page.getByLabel(/Vehicle KX19 ABC/);
  await candidate.waitFor();
  await checkAccessibility(page, "add a link");
  await shot(page, "04-add-link");
  await candidate.check();
  await page.getByRole("button", { name: "Add link" }).click();

  await page.getByRole("heading", { level: 1, name: "OKAFOR, Chidi Emeka" }).waitFor();
  const links = page.getByRole("table", { name: "Links to other records" });
  const row = links.getByRole("row").filter({ hasText: "Vehicle KX19 ABC" });
  assert.match(await row.innerText(), /Owner of/);
  await checkAccessibility(page, "person with link");
  await shot(page, "05-person-with-link");

  await row.getByRole("link", { name: /Vehicle KX19 ABC/ }).click();
  const back = page.getByRole("table", { name: "Links to other records" }).getByRole("row").filter({ hasText: "OKAFOR, Chidi Emeka" });
  assert.match(await back.innerText(), /Owned by/);

  await page.goto(`${base}/persons`);
  await checkAccessibility(page, "persons list");
  await page.goto(`${base}/records/${personUrl.split("/").pop()}/history`);
  await checkAccessibility(page, "history");
  await context.close();
});

test("pages work at 320 px wide", async () => {
  const context = await browser.newContext({ viewport: { width: 320, height: 640 } });
  const page = await signedIn(context, "browser.officer");
  await page.goto(`${base}/persons`);
  await page.getByRole("link", { name: /OKAFOR/ }).click();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px at 320 px`);
  await checkAccessibility(page, "person at 320 px");
  await shot(page, "06-person-320px");
  await context.close();
});

test("search from the box on every page, with a typo, then as you type, at desk and phone widths", async () => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const page = await signedIn(context, "browser.officer");
  await page.goto(`${base}/persons`);
  // The header box: a misspelt surname and the year of birth still find the person made above.
  await page.getByRole("search", { name: "Search every record" }).first().getByLabel("Search every record").fill("Chidi Okafer 1990");
  await page.getByRole("search", { name: "Search every record" }).first().getByRole("button", { name: "Search" }).click();
  await page.getByRole("heading", { level: 1, name: "Search" }).waitFor();
  const people = page.getByRole("region", { name: /People/ });
  await people.getByRole("link", { name: "OKAFOR, Chidi Emeka" }).waitFor();
  assert.match(await people.innerText(), /year of birth|date of birth/);
  assert.match(await page.locator("main").innerText(), /Searching for: name Chidi Okafer; born in 1990/);
  await checkAccessibility(page, "search results");
  await shot(page, "05a-search-results");

  // Search as you type on the search page.
  await page.goto(`${base}/search`);
  await page.getByLabel(/Name, date of birth, reference/).pressSequentially("okafo", { delay: 40 });
  await page.locator("#suggestions").getByRole("link", { name: "OKAFOR, Chidi Emeka" }).waitFor();
  await checkAccessibility(page, "search as you type");
  await shot(page, "05b-search-as-you-type");
  await page.locator("#suggestions").getByRole("link", { name: "OKAFOR, Chidi Emeka" }).click();
  await page.getByRole("heading", { level: 1, name: "OKAFOR, Chidi Emeka" }).waitFor();

  // A date that cannot be: the error summary, not a crash.
  await page.goto(`${base}/search?q=okafor&dob=31/02/1990`);
  await page.getByRole("alert").getByText("There is a problem").waitFor();
  await context.close();

  const phone = await browser.newContext({ viewport: { width: 320, height: 640 } });
  const small = await signedIn(phone, "browser.officer");
  await small.goto(`${base}/search?q=okafor`);
  await small.getByRole("link", { name: "OKAFOR, Chidi Emeka" }).waitFor();
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the search page scrolls sideways by ${overflow} px at 320 px`);
  await checkAccessibility(small, "search at 320 px");
  await shot(small, "05c-search-320px");
  await phone.close();
});

test("a person already recorded is shown before saving, the pair is compared and merged on a phone, and the merge is undone", async () => {
  const phone = await browser.newContext({ viewport: { width: 320, height: 640 } });
  const page = await signedIn(phone, "browser.officer");
  const fillPerson = async (family, given) => {
    await page.goto(`${base}/persons/new`);
    await page.getByLabel("Family name").fill(family);
    await page.getByLabel("Given names").fill(given);
    await page.getByLabel("Day").fill("3");
    await page.getByLabel("Month").fill("11");
    await page.getByLabel("Year").fill("1962");
  };
  await fillPerson("Higginbottom", "Margaret");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { level: 1, name: "HIGGINBOTTOM, Margaret" }).waitFor();
  const first = page.url().split("?")[0];

  // The same woman recorded again as Peggy: once the index has Margaret, the form shows her
  // first, with the score.
  let indexed = false;
  for (let i = 0; i < 50 && !indexed; i++) {
    await page.goto(`${base}/search?q=higginbottom`);
    indexed = await page.getByRole("link", { name: "HIGGINBOTTOM, Margaret", exact: true }).isVisible();
    if (!indexed) await page.waitForTimeout(100);
  }
  assert.ok(indexed, "the index has the first record");
  await fillPerson("Higginbottom", "Peggy");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { name: "This person may already be recorded" }).waitFor();
  assert.match(await page.locator("main").innerText(), /HIGGINBOTTOM, Margaret[\s\S]*score/);
  await checkAccessibility(page, "search before create");
  await shot(page, "08a-search-before-create-320px");
  // None of these: save again to create.
  await page.getByRole("button", { name: "None of these: create a new record" }).click();
  await page.getByRole("heading", { level: 1, name: "HIGGINBOTTOM, Peggy" }).waitFor();

  // The review queue lists the pair; compare them side by side and merge.
  let listed = false;
  for (let i = 0; i < 40 && !listed; i++) {
    await page.goto(`${base}/duplicates`);
    listed = await page.getByRole("link", { name: "HIGGINBOTTOM, Peggy", exact: true }).isVisible();
    if (!listed) await page.waitForTimeout(100);
  }
  assert.ok(listed, "the pair reaches the review queue");
  await checkAccessibility(page, "review queue");
  await page.getByRole("link", { name: /^Compare/ }).first().click();
  await page.getByRole("heading", { level: 1, name: "Are these the same person?" }).waitFor();
  assert.match(await page.locator("main").innerText(), /likely the same person/i);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the comparison scrolls sideways by ${overflow} px at 320 px`);
  await checkAccessibility(page, "compare two records");
  await shot(page, "08b-compare-320px");
  await page.getByRole("radio", { name: "HIGGINBOTTOM, Margaret" }).check();
  await page.getByLabel("Why are they the same person?").fill("Same date of birth; Peggy is Margaret");
  await page.getByRole("button", { name: "Merge records" }).click();
  await page.getByText("Records merged").waitFor();
  assert.equal(page.url().split("?")[0], first);

  // The merged record now sends readers to the survivor, and its own page offers the undo.
  await page.goto(`${base}/persons?prefix=higginbottom`);
  await page.getByRole("link", { name: "HIGGINBOTTOM, Peggy", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "HIGGINBOTTOM, Margaret" }).waitFor();
  await page.getByRole("link", { name: "See the merged record" }).click();
  await page.getByRole("heading", { name: /Merged into/ }).waitFor();
  await checkAccessibility(page, "merged record");
  await page.getByText("Undo the merge", { exact: true }).first().click();
  await page.getByLabel("Why was the merge wrong?").fill("Different people: checked with the family");
  await page.getByRole("button", { name: "Undo the merge" }).click();
  await page.getByText("Merge undone").waitFor();
  await page.getByRole("heading", { level: 1, name: "HIGGINBOTTOM, Peggy" }).waitFor();
  await phone.close();
});

test("record a location and an event, correct a person, and see the change in the history", async () => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const page = await signedIn(context, "browser.officer");

  await page.goto(`${base}/locations/new`);
  await checkAccessibility(page, "new location");
  await page.getByLabel("Address line 1").fill("14 Station Road");
  await page.getByLabel("Town or city").fill("Leeds");
  await page.getByLabel("Postcode").fill("ls61aa");
  await page.getByLabel("Type of location").selectOption({ label: "Residential" });
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { level: 1, name: "14 Station Road, Leeds LS6 1AA" }).waitFor();
  await checkAccessibility(page, "location");

  await page.goto(`${base}/events/new`);
  await checkAccessibility(page, "new event");
  await page.getByLabel("Type of event").selectOption({ label: "Crime" });
  await page.getByLabel("Title").fill("Burglary at 14 Station Road");
  await page.locator("#starts-day").fill("1");
  await page.locator("#starts-month").fill("7");
  await page.locator("#starts-year").fill("2026");
  await page.getByLabel("Time it started").fill("21:14");
  await page.getByLabel("What happened").fill("Rear window forced; laptop taken.");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { level: 1, name: "Burglary at 14 Station Road" }).waitFor();
  // Entered as UK time in summer; shown back the GOV.UK way.
  assert.match(await page.locator(".summary-list").first().innerText(), /1 July 2026 at 9:14pm/);
  await checkAccessibility(page, "event");
  await shot(page, "07-event");

  await page.goto(`${base}/persons`);
  await page.getByRole("link", { name: /OKAFOR/ }).click();
  await page.getByRole("link", { name: "Change given names" }).click();
  await checkAccessibility(page, "edit person");
  await page.getByLabel("Given names").fill("Chidi");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { level: 1, name: "OKAFOR, Chidi" }).waitFor();
  assert.match(await page.getByRole("status").innerText(), /Your changes have been saved/);
  await page.getByRole("link", { name: "View history" }).click();
  const latest = page.getByRole("listitem").filter({ hasText: "Version 2: Changed" });
  assert.match(await latest.innerText(), /given names[\s\S]*Chidi Emeka[\s\S]*Chidi/);
  await checkAccessibility(page, "history after a change");
  await shot(page, "08-history");
  await context.close();
});

test("five wrong passwords lock an account; an administrator releases it", async () => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const page = await context.newPage();
  for (let i = 0; i < 5; i++) {
    await page.goto(`${base}/sign-in`);
    await page.getByLabel("User name").fill("browser.target");
    await page.getByLabel("Password").fill(`wrong-password-${i}`);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("alert").getByText("There is a problem").waitFor();
  }
  await checkAccessibility(page, "sign in with an error");
  await shot(page, "09-sign-in-refused");
  // Now even the right password is refused, with the same message.
  await page.getByLabel("User name").fill("browser.target");
  await page.getByLabel("Password").fill(passwords["browser.target"]);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  assert.match(await page.getByRole("alert").innerText(), /locked/);

  const admin = await signedIn(await browser.newContext({ viewport: { width: 1024, height: 800 } }), "browser.admin");
  await admin.goto(`${base}/admin/users`);
  await checkAccessibility(admin, "users");
  await shot(admin, "10-users");
  const row = admin.getByRole("row").filter({ hasText: "browser.target" });
  assert.match(await row.innerText(), /Locked/);
  await row.getByRole("link", { name: /Browser browser.target/ }).click();
  await checkAccessibility(admin, "a locked user");
  await admin.getByRole("button", { name: "Release the lock" }).click();
  await admin.getByRole("heading", { level: 1, name: /Browser browser.target/ }).waitFor();

  const again = await signedIn(context, "browser.target");
  await again.goto(`${base}/account`);
  await checkAccessibility(again, "account");
  await context.close();
});

test("an administrator creates a user, who signs in and sees only what their clearance allows", async () => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const admin = await signedIn(context, "browser.admin");
  await admin.goto(`${base}/admin/users/new`);
  await checkAccessibility(admin, "new user");
  await admin.getByRole("button", { name: "Create the user" }).click();
  await admin.getByRole("alert").getByText("There is a problem").waitFor();
  await checkAccessibility(admin, "new user with errors");
  await admin.getByLabel("User name").fill("browser.pcso");
  await admin.getByLabel("Name", { exact: true }).fill("Browser PCSO");
  await admin.getByLabel("Rank or grade").fill("PCSO");
  await admin.getByLabel("Officer", { exact: true }).check();
  await admin.getByLabel("Unit").fill("NEIGHBOURHOOD");
  await admin.getByLabel("Vetting clearance").selectOption("OFFICIAL");
  await admin.getByLabel("First password").fill("a-long-browser-passphrase");
  await admin.getByRole("button", { name: "Create the user" }).click();
  await admin.getByRole("heading", { level: 1, name: "PCSO Browser PCSO" }).waitFor();
  await shot(admin, "11-user");
  // An administrator does not see records.
  await admin.goto(`${base}/persons`);
  assert.match(await admin.getByRole("heading", { level: 1 }).innerText(), /You do not have access/);
  await context.close();

  // The OFFICIAL-SENSITIVE officer records a sensitive person; the new OFFICIAL user cannot see it.
  const oc = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const officer = await signedIn(oc, "browser.officer");
  await officer.goto(`${base}/persons/new`);
  await officer.getByLabel("Family name").fill("Sensitive");
  await officer.getByLabel("Given names").fill("Witness");
  await officer.getByLabel("Classification").selectOption("OFFICIAL-SENSITIVE");
  await officer.getByRole("button", { name: "Save" }).click();
  await officer.getByRole("heading", { level: 1, name: "SENSITIVE, Witness" }).waitFor();
  const url = officer.url().split("?")[0];
  await oc.close();

  passwords["browser.pcso"] = "a-long-browser-passphrase";
  const pc = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const pcso = await signedIn(pc, "browser.pcso");
  await pcso.goto(url);
  assert.match(await pcso.getByRole("heading", { level: 1 }).innerText(), /Page not found/);
  await pcso.goto(`${base}/persons?prefix=sens`);
  assert.doesNotMatch(await pcso.locator("main").innerText(), /SENSITIVE, Witness/);
  await pcso.getByRole("button", { name: "Sign out" }).click();
  await pcso.getByText("You have signed out.").waitFor();
  await pcso.goto(url);
  await pcso.getByRole("heading", { level: 1, name: "Sign in to Bluelamp" }).waitFor();
  await pc.close();
});

// What an authenticator app shows for a base32 secret, `ahead` steps of 30 s from now.
function totp(secretB32, ahead = 0) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, value = 0;
  const bytes = [];
  for (const ch of secretB32.replace(/\s|=/g, "").toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) { bits -= 8; bytes.push((value >>> bits) & 0xff); }
  }
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + ahead));
  const h = createHmac("sha1", Buffer.from(bytes)).update(counter).digest();
  const o = h[19] & 15;
  const bin = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(bin % 1000000).padStart(6, "0");
}

test("set up two-step verification, then sign in with password and a code from the app", async () => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const page = await signedIn(context, "browser.mfa");
  await page.goto(`${base}/account`);
  await page.getByRole("link", { name: "Set up two-step verification" }).click();
  await page.getByRole("heading", { level: 1, name: "Set up two-step verification" }).waitFor();
  await page.getByRole("img", { name: "QR code for your authenticator app" }).waitFor();
  await checkAccessibility(page, "set up two-step verification");
  await shot(page, "12-mfa-setup");
  const secret = (await page.locator("code.token").innerText()).trim();
  await page.getByLabel("Code from the app").fill(totp(secret));
  await page.getByRole("button", { name: "Turn on two-step verification" }).click();
  await page.getByRole("heading", { level: 1, name: "Two-step verification is on" }).waitFor();
  assert.equal(await page.locator(".recovery-codes li").count(), 10);
  await checkAccessibility(page, "recovery codes");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByText("You have signed out.").waitFor();

  await page.getByLabel("User name").fill("browser.mfa");
  await page.getByLabel("Password").fill(passwords["browser.mfa"]);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Enter the code from your authenticator app" }).waitFor();
  await checkAccessibility(page, "enter your code");
  await shot(page, "13-enter-code");
  await page.getByLabel("Code").fill("000000");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("alert").getByText("There is a problem").waitFor();
  // The code used at set-up is spent; the app's next code (one step of drift is allowed) works.
  await page.getByLabel("Code").fill(totp(secret, 1));
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  await page.goto(`${base}/account`);
  assert.match(await page.locator("main").innerText(), /On: you enter a code/);
  await context.close();
});

// A UK local date and time `minutesAgo` minutes ago, as a datetime-local input takes it.
function londonLocal(minutesAgo) {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/London", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(Date.now() - minutesAgo * 60000));
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

test("book a detainee in, record two cell visits and a review, and see the board change", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await signedIn(context, "browser.sergeant");
  await page.goto(`${base}/custody?station=Eastgate`);
  await page.getByText("No detainees in custody at EASTGATE").waitFor();
  await checkAccessibility(page, "empty custody board");

  await page.goto(`${base}/persons/new`);
  await page.getByLabel("Family name").fill("Custody");
  await page.getByLabel("Given names").fill("Browser");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { level: 1, name: "CUSTODY, Browser" }).waitFor();
  await page.getByRole("link", { name: "Book into custody" }).click();
  await page.getByRole("heading", { level: 1, name: "Book a detainee in" }).waitFor();
  await page.getByText("Detainee: CUSTODY, Browser").waitFor();
  await checkAccessibility(page, "book in");
  await page.getByLabel("Custody suite").fill("Eastgate");
  await page.getByLabel("Arrested", { exact: true }).fill(londonLocal(50));
  await page.getByLabel("Where").fill("Station Road");
  await page.getByLabel("Arresting officer").fill("PC 77 Moss");
  await page.getByLabel("Grounds for arrest").fill("Found with tools in a garage at night");
  await page.getByLabel("Arrived at the station").fill(londonLocal(20));
  await page.getByLabel("Offence 1", { exact: true }).fill("Going equipped for burglary");
  await page.getByLabel("Grounds (or the reason for refusing)").fill("To obtain evidence by questioning");
  await page.getByRole("button", { name: "Book in" }).click();
  await page.getByText("Detainee booked in").waitFor();
  await checkAccessibility(page, "custody record");
  const caption = await page.locator(".caption").first().innerText();
  const number = caption.match(/EAS\/\d\d\/\d{5}/)[0];
  await shot(page, "20-custody-record");

  await page.goto(`${base}/custody?station=Eastgate`);
  const row = page.getByRole("row").filter({ hasText: number });
  await row.waitFor();
  assert.match(await row.innerText(), /CUSTODY, Browser/);
  assert.match(await row.innerText(), /Cell visit/);
  await checkAccessibility(page, "custody board");
  await shot(page, "21-custody-board");
  assert.equal(await row.locator("td").nth(6).innerText(), "None yet");

  await row.getByRole("link", { name: number }).click();
  for (const condition of ["Awake, calm, asked for water", "Asleep, breathing normally"]) {
    await page.locator("#visit > summary").click();
    await page.locator("#visit-condition").fill(condition);
    await page.getByRole("button", { name: "Record cell visit" }).click();
    await page.getByText("Cell visit recorded").waitFor();
    await page.getByText(condition).waitFor();
  }
  await page.locator("#review > summary").click();
  await page.locator("#review-by-name").fill("Insp 12 Khan");
  await page.locator("#review-by-rank").selectOption("inspector");
  await page.locator("#review-mode").selectOption("telephone");
  await page.locator("#review-representations").fill("None made");
  await page.getByRole("button", { name: "Record review of detention" }).click();
  await page.getByText("Review of detention recorded").waitFor();
  await checkAccessibility(page, "custody record after entries");

  // A review by a sergeant is refused, naming the rule, and nothing is written.
  await page.locator("#review > summary").click();
  await page.locator("#review-by-name").fill("PS 3 Low");
  await page.locator("#review-by-rank").selectOption("sergeant");
  await page.locator("#review-representations").fill("None");
  await page.getByRole("button", { name: "Record review of detention" }).click();
  await page.getByRole("alert").getByText("There is a problem").waitFor();
  assert.match(await page.getByRole("alert").innerText(), /inspector/i);
  await checkAccessibility(page, "custody record with a refused entry");

  // The printable custody record carries every entry and no forms.
  await page.getByRole("link", { name: "Printable custody record" }).click();
  await page.getByText("Printed").waitFor();
  assert.match(await page.locator("main").innerText(), /Cell visit[\s\S]*Insp 12 Khan/);
  assert.equal(await page.locator("form").count(), 0);
  await checkAccessibility(page, "printable custody record");

  await page.goto(`${base}/custody?station=Eastgate`);
  const after = page.getByRole("row").filter({ hasText: number });
  assert.match(await after.locator("td").nth(6).innerText(), /^\d\d:\d\d$/, "the board shows the last visit");
  assert.match(await after.innerText(), /Review|Cell visit/);
  await shot(page, "22-custody-board-after");
  await context.close();
});

test("an officer asks for emergency access, a supervisor approves, and professional standards see it in the trail and the alerts", async () => {
  // browser.officer (CID, supervisor) records a person restricted to CID.
  const oc = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const owner = await signedIn(oc, "browser.officer");
  await owner.goto(`${base}/persons/new`);
  await owner.getByLabel("Family name").fill("Restricted");
  await owner.getByLabel("Given names").fill("Rowan");
  await owner.getByLabel("Restrict to teams (optional)").fill("CID");
  await owner.getByRole("button", { name: "Save" }).click();
  await owner.getByRole("heading", { level: 1, name: "RESTRICTED, Rowan" }).waitFor();
  const recordUrl = owner.url().split("?")[0];

  // A response officer cannot see it; the not-found page offers emergency access.
  const rc = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const pc = await signedIn(rc, "browser.response");
  await pc.goto(recordUrl);
  await pc.getByRole("heading", { level: 1, name: "Page not found" }).waitFor();
  await pc.getByRole("link", { name: "Ask for emergency access" }).click();
  await checkAccessibility(pc, "break glass request");
  await pc.getByLabel("Why you need it now").fill("Domestic incident in progress: this person is named by the caller");
  await pc.getByRole("button", { name: "Ask for emergency access" }).click();
  await pc.getByText("Your request has been sent").waitFor();
  assert.match(await pc.locator("main").innerText(), /Waiting for a decision/);

  // The supervisor, who can see the record, approves.
  await owner.goto(`${base}/break-glass`);
  await owner.getByRole("heading", { level: 3 }).filter({ hasText: "browser.response" }).waitFor();
  await checkAccessibility(owner, "break glass decisions");
  await owner.getByRole("button", { name: "Approve access for browser.response" }).click();
  await owner.getByText("Access approved").waitFor();
  await oc.close();

  await pc.goto(recordUrl);
  await pc.getByRole("heading", { level: 1, name: "RESTRICTED, Rowan" }).waitFor();
  await rc.close();

  // Professional standards: the alerts page and the trail.
  const sc = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const psd = await signedIn(sc, "browser.psd");
  await psd.goto(`${base}/alerts`);
  await psd.getByRole("heading", { level: 1, name: "Protective-monitoring alerts" }).waitFor();
  // The monitor looks at the trail every few seconds, and alerts are listed once the
  // checkpointer has given them their place in the log (every ten seconds).
  for (let i = 0; i < 40 && !(await psd.locator("main").innerText()).includes("asked for access outside"); i++) {
    await new Promise((r) => setTimeout(r, 1000));
    await psd.reload();
  }
  assert.match(await psd.locator("main").innerText(), /asked for access outside their need to know/);
  await checkAccessibility(psd, "alerts");
  await shot(psd, "30-alerts");
  await psd.goto(`${base}/audit?user=browser.response`);
  await psd.getByRole("heading", { level: 1, name: "Audit trail" }).waitFor();
  for (let i = 0; i < 30 && !(await psd.locator("main").innerText()).includes("view"); i++) {
    await new Promise((r) => setTimeout(r, 1000));
    await psd.reload();
  }
  assert.match(await psd.locator("main").innerText(), /break glass request/);
  await checkAccessibility(psd, "audit trail");
  await shot(psd, "31-audit");
  await sc.close();
});

test("add a passkey with Chromium's virtual authenticator, then sign in with it alone", async () => {
  // Passkeys need a site name, not an IP address: the same server as localhost.
  const site = base.replace("127.0.0.1", "localhost");
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  await page.goto(`${site}/sign-in`);
  await page.getByLabel("User name").fill("browser.passkey");
  await page.getByLabel("Password").fill(passwords["browser.passkey"]);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  await page.goto(`${site}/account`);
  await page.getByRole("link", { name: "Manage passkeys" }).click();
  await page.getByRole("heading", { level: 1, name: "Passkeys" }).waitFor();
  await checkAccessibility(page, "passkeys");
  await page.getByLabel("Name").fill("Virtual laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await page.getByText("Passkey added").waitFor();
  assert.match(await page.locator("table").innerText(), /Virtual laptop/);

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByText("You have signed out.").waitFor();
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  assert.match(await page.locator("header").innerText(), /browser\.passkey/);
  await page.goto(`${site}/account/passkeys`);
  assert.doesNotMatch(await page.locator("table").innerText(), /Not yet/, "the passkey has been used");
  await shot(page, "50-passkeys");
  await context.close();
});

test("a session left idle for 30 minutes ends, and the next page asks you to sign in again", async () => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const page = await signedIn(context, "browser.idle");
  await page.goto(`${base}/persons`);
  await page.getByRole("heading", { level: 1, name: "Persons" }).waitFor();
  // Half an hour passes without a request: move this user's sessions' last activity back
  // 31 minutes in the embedded database, as the clock would.
  execFileSync("python3", ["-c", `
import json, sqlite3, datetime
db = sqlite3.connect(${JSON.stringify(join(dataDir, "bluelamp.db"))}, timeout=30)
then = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=31)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
for id_hash, text in db.execute("SELECT id_hash, session FROM sessions WHERE username = 'browser.idle'").fetchall():
    s = json.loads(text)
    s["last_seen_at"] = then
    db.execute("UPDATE sessions SET last_seen_at = ?, session = ? WHERE id_hash = ?", (then, json.dumps(s), id_hash))
db.commit()
`]);
  await page.goto(`${base}/persons`);
  await page.getByRole("heading", { level: 1, name: "Sign in to Bluelamp" }).waitFor();
  assert.match(page.url(), /\/sign-in\?next=%2Fpersons/);
  await context.close();
});
