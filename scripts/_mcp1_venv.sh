# Sourced by scripts/test: tests/clients/.venv-mcp1 holds Python mcp 1.x
# (tests/clients/requirements-mcp1.txt, every package pinned) for the real-client tests, since
# .venv holds mcp 2.x. Made again only when the requirements file changed.
mcp1_venv=tests/clients/.venv-mcp1
mcp1_requirements=tests/clients/requirements-mcp1.txt
if [ ! -f "$mcp1_venv/.installed" ] || ! cmp -s "$mcp1_requirements" "$mcp1_venv/.installed"; then
  echo "installing Python mcp 1.x into $mcp1_venv" >&2
  rm -rf "$mcp1_venv"
  "$python" -m venv "$mcp1_venv"
  "$mcp1_venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$mcp1_requirements"
  cp "$mcp1_requirements" "$mcp1_venv/.installed"
fi
