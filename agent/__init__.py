"""The LLM agent: the shot-plan schema, planning, conversational edits and LLM providers."""
