// Which group each dependency lands in, as Renovate decides it: the repository config with
// its presets resolved, the manager's own config, then every packageRule in order, by
// Renovate's own code (the functions its lookup stage calls). Used by
// tests/policy/test_renovate.py; Renovate offers no command for this.
//
//   node package-rules.mjs <renovate.json>  < dependencies.json  > decisions.json
//
// Input: [{manager, packageFile, depName, packageName, datasource, depType, currentValue,
// updateType?}]. Output: the same objects with groupName, enabled and schedule added.
// These are Renovate's internal modules (dist/), not a public API: a Renovate release
// that moves them fails the test loudly, in the pull request that brings that release.
import { readFileSync } from "node:fs";

const dist = new URL("./node_modules/renovate/dist/", import.meta.url);
const { getConfig } = await import(new URL("config/defaults.js", dist).href);
const { mergeChildConfig } = await import(new URL("config/utils.js", dist).href);
const { resolveConfigPresets } = await import(new URL("config/presets/index.js", dist).href);
const { applyPackageRules } = await import(new URL("util/package-rules/index.js", dist).href);

const repository = JSON.parse(readFileSync(process.argv[2], "utf8"));
const { config } = await resolveConfigPresets(repository);
const resolved = mergeChildConfig(getConfig(), config);
const decisions = [];
for (const dependency of JSON.parse(readFileSync(0, "utf8"))) {
  // As Renovate's extraction does: the package name is the dependency's name unless set apart.
  const packageName = dependency.packageName ?? dependency.depName;
  const inherited = mergeChildConfig(resolved, resolved[dependency.manager] ?? {});
  const decided = await applyPackageRules({ ...inherited, ...dependency, packageName });
  decisions.push({
    ...dependency,
    groupName: decided.groupName ?? null,
    enabled: decided.enabled !== false,
    schedule: decided.schedule ?? [],
  });
}
process.stdout.write(JSON.stringify(decisions));
