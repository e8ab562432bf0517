import { createBackend } from "./api";
import { start } from "./app";

start(createBackend());
