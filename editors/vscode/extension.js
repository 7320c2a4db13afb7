// A minimal VS Code client for `vgptlint server` (docs/editors.md): starts the server over stdio
// and sends it dataset files and vgptlint policies.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate() {
  const config = vscode.workspace.getConfiguration("vgptlint");
  const datasets = config.get("datasetFiles", ["**/*.jsonl", "**/*.json"]).map((pattern) => ({ scheme: "file", pattern }));
  const policies = ["**/vgptlint.yaml", "**/.vgptlint.yaml", "**/*.vgptlint.yaml"].map((pattern) => ({ scheme: "file", pattern }));
  client = new LanguageClient(
    "vgptlint",
    "vgptlint",
    { command: config.get("path", "vgptlint"), args: ["server"] },
    {
      documentSelector: [...datasets, ...policies],
      initializationOptions: { policy: config.get("policy") || null },
    },
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
