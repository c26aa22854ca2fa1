INSERT INTO other_tool (n_prompt, avg_ts) VALUES (1, 2);
