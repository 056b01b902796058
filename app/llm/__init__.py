"""LLM plumbing: `prompts` (registry), `client` (OpenAI-compatible model), `evidence` (guard).

Import the submodules directly: this package re-exports nothing so that pure code can use
`app.llm.evidence` and `app.knowledge.prompts` without importing LangChain and openai.
"""
