// Synthesizes the shared stacks (shared-stacks.ts) once for the run, before any infra test file
// starts, and hands their templates to every file: one synthesis each instead of one per file.
import type { TestProject } from 'vitest/node';
import { synthesizeAppTemplate, synthesizeSharedStacks } from './shared-stacks.js';

export default function setup(project: TestProject): void {
  project.provide('sharedStacks', synthesizeSharedStacks());
  project.provide('appTemplate', synthesizeAppTemplate());
}
