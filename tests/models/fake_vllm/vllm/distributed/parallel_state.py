def cleanup_dist_env_and_memory():
    from vllm import ENGINES

    for engine in ENGINES:
        engine.closed = engine.closed or not hasattr(engine, "_alive")
