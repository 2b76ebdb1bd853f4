// Browser test: a person uses the pages as they would on a phone or laptop. Starts the real
// binary on a free port with its own data directory, drives Debian's Chromium with
// playwright-core, checks every page visited with axe (WCAG 2.2 AA), and saves screenshots
// in tests/browser/artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";

const here = dirname(fileURLToPath(import.meta.url));
const artifacts = join(here, "..", "artifacts");
mkdirSync(artifacts, { recursive: true });
const bin = process.env.BLUELAMP_BIN;
if (!bin) throw new Error("Set BLUELAMP_BIN to the bluelamp binary (cargo build, then target/debug/bluelamp)");

let server, browser, base;

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
  const dataDir = mkdtempSync(join(tmpdir(), "bluelamp-browser-"));
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
  const page = await context.newPage();
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
  await page.getByLabel("Starts with").pressSequentially("vehicle kx", { delay: 30 });
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
  const page = await context.newPage();
  await page.goto(`${base}/persons`);
  await page.getByRole("link", { name: /OKAFOR/ }).click();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px at 320 px`);
  await checkAccessibility(page, "person at 320 px");
  await shot(page, "06-person-320px");
  await context.close();
});

test("record a location and an event, correct a person, and see the change in the history", async () => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const page = await context.newPage();

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
