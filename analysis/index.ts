// syscluster's static analysis of a binary: read it, find its functions and system-call
// sites, and check every candidate region against the paper's conditions.
import { loadBinary } from './binary.js';
import { Program } from './cfg.js';
import { findRegions, type Analysis } from './regions.js';
import { findSites, type SiteIndex } from './sites.js';

export interface BinaryAnalysis extends Analysis {
  program: Program;
  sites: SiteIndex;
}

export async function analyzeBinary(file: Uint8Array, name: string): Promise<BinaryAnalysis> {
  const program = await Program.load(loadBinary(file, name));
  const sites = findSites(program);
  return { program, sites, ...findRegions(program, sites) };
}
