DROP TABLE replay_signatures;
