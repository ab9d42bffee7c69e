def TokensPrompt(prompt_token_ids):  # a TypedDict in vLLM
    return {"prompt_token_ids": prompt_token_ids}
