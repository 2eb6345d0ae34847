"""Drives `usage-aggregator mcp` with the Model Context Protocol's own Python client (the `mcp`
package, PyPI): starts the server over stdio, lists its tools and calls each call of a plan.

Usage: call_tools.py BINARY PLAN.json, with the server's environment (database, tokens) in
MCP_SERVER_ENV as a JSON object. The plan is a list of {"tool": name, "arguments": {...}}.
Prints one JSON object: {"server": name, "tools": [{"name", "read_only"}...], "results": [...]},
each result the call's structured content with "is_error". The comparing is the Rust test's
(aggregator/tests/api/mcp.rs), which also made the plan.
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


async def main(binary: str, plan_path: str) -> None:
    with open(plan_path, encoding="utf-8") as f:
        plan = json.load(f)
    server = StdioServerParameters(
        command=binary, args=["mcp"], env=json.loads(os.environ["MCP_SERVER_ENV"])
    )
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            listed = await session.list_tools()
            tools = [
                {
                    "name": tool.name,
                    "read_only": bool(tool.annotations and tool.annotations.read_only_hint),
                    "input_schema": tool.input_schema,
                }
                for tool in listed.tools
            ]
            results = []
            for call in plan:
                result = await session.call_tool(call["tool"], call["arguments"])
                text = "".join(c.text for c in result.content if getattr(c, "type", "") == "text")
                results.append(
                    {
                        "is_error": bool(result.is_error),
                        "structured": result.structured_content,
                        # Clients that read only text get the same JSON.
                        "text": json.loads(text) if result.structured_content is not None else text,
                    }
                )
    print(json.dumps({"server": init.server_info.name, "tools": tools, "results": results}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
