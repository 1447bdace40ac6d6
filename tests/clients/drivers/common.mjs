// Shared by the node drivers: read the plan, run its cases in order, print the outcomes.
//
// A plan (written by tests/support/client_matrix.py) is a list of groups, each naming how to reach
// one server (a command for stdio, a URL for HTTP), the upstream control URL, and the cases:
// {id, tool, arguments, setup}. Before each case the upstream is told what to do next
// (setup: emulator faults and/or a scripted answer), then the tool is called through the
// client under test exactly as an application would call it. Output: one JSON document.
import fs from "node:fs";

export function readPlan() {
  return JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
}

async function prepare(control, setup) {
  const response = await fetch(control, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ faults: setup?.faults ?? {}, answer: setup?.answer ?? null }),
  });
  if (response.status !== 204) throw new Error(`upstream control answered ${response.status}`);
}

function describe(error) {
  return String(error?.stack ?? error).split("\n").slice(0, 3).join(" | ");
}

// connect(group) -> {call(tool, args) -> result, version() -> string, tools() -> [...], close()}
export async function run(connect) {
  const plan = readPlan();
  // Connect to every server at once (stdio servers start side by side), then run the cases
  // one by one: the upstream's script is shared, so calls must not overlap.
  const sessions = await Promise.all(plan.groups.map((group) => connect(group, plan).then(
    async (session) => ({ session, tools: await session.tools(), version: await session.version() }),
    (error) => ({ error }),
  ).catch((error) => ({ error }))));
  const groups = [];
  for (const [index, group] of plan.groups.entries()) {
    const outcome = { server: group.name, version: null, tools: null, cases: [], connectError: null };
    groups.push(outcome);
    const { session, tools, version, error } = sessions[index];
    if (error !== undefined) {
      outcome.connectError = describe(error);
      continue;
    }
    outcome.tools = tools;
    outcome.version = version;
    for (const c of group.cases) {
      await prepare(group.control, c.setup);
      try {
        const result = await session.call(c.tool, c.arguments);
        outcome.cases.push({ id: c.id, outcome: "result", result });
      } catch (error) {
        outcome.cases.push({ id: c.id, outcome: "threw", error: describe(error) });
      }
    }
    await prepare(group.control, {});
  }
  for (const [index, { session }] of sessions.entries()) {
    if (session === undefined) continue;
    try {
      await session.close();
    } catch (error) {
      groups[index].closeError = describe(error);
    }
  }
  process.stdout.write(JSON.stringify({ groups }) + "\n");
}
