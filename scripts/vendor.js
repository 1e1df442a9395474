#!/usr/bin/env node
// Copies the built front-end libraries from node_modules into endpoint/static/vendor, so the
// app serves them itself (no CDN at run time) and a pip install carries them.
// Run after `npm ci`:  npm ci && node scripts/vendor.js   (or: make vendor)
// Writes endpoint/static/vendor/yasgui/{yasgui.min.js,yasgui.min.css,LICENSES.txt,VERSION}.
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const modules = path.join(root, "node_modules");
const out = path.join(root, "endpoint", "static", "vendor", "yasgui");
const pkg = "@zazuko/yasgui";
const files = ["yasgui.min.js", "yasgui.min.css"];

const src = path.join(modules, pkg, "build");
if (!fs.existsSync(src)) {
  console.error(`${pkg} is not installed: run \`npm ci\` first`);
  process.exit(1);
}
fs.mkdirSync(out, { recursive: true });
for (const f of files) {
  // the source-map comment would make browsers ask for a .map file we do not ship
  const text = fs.readFileSync(path.join(src, f), "utf8")
    .replace(/\n?\/[/*][#@] sourceMappingURL=\S+?(?: \*\/)?\s*$/, "\n");
  fs.writeFileSync(path.join(out, f), text);
}

// Every production package of the lock file: the bundle includes their code.
const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8"));
const version = lock.packages[`node_modules/${pkg}`].version;
const parts = [
  `${pkg} ${version} (MIT) and the packages bundled into it, as installed from the npm`,
  "registry by package-lock.json. Licence texts follow, where the package ships one.",
  "",
];
for (const [where, info] of Object.entries(lock.packages).sort()) {
  if (!where || info.dev) continue;
  const dir = path.join(root, where);
  const name = where.replace(/^.*node_modules\//, "");
  parts.push("=".repeat(78), `${name} ${info.version || ""} — ${info.license || "see package"}`,
             "=".repeat(78));
  const licence = fs.existsSync(dir)
    ? fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f)) : undefined;
  parts.push(licence ? fs.readFileSync(path.join(dir, licence), "utf8").trim()
                     : `(no licence file in the package; its package.json says: ${info.license})`, "");
}
fs.writeFileSync(path.join(out, "LICENSES.txt"), parts.join("\n"));
fs.writeFileSync(path.join(out, "VERSION"), `${pkg}@${version}\n`);
console.log(`vendored ${pkg}@${version} into ${path.relative(root, out)}`);
