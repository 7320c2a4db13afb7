"""The language server (``vgptlint server``): vgptlint's findings, fixes and explanations in the editor.

Needs the ``lsp`` extra (``pip install "vgptlint[lsp]"``: pygls and lsprotocol). See docs/editors.md.
"""
