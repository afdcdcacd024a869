"""What agents read: the agent API page, llms.txt, the A2A agent card, the MCP manifest."""
