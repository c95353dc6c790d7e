// Location discovery, as azure-devops-node-api performs it before any call: `OPTIONS _apis/<area>`
// lists the area's resource locations (id, route template, versions); the client builds its URLs
// from the route templates and negotiates the api-version against maxVersion/releasedVersion.

export interface ResourceLocation {
  id: string;
  area: string;
  resourceName: string;
  routeTemplate: string;
  resourceVersion: number;
  minVersion: string;
  maxVersion: string;
  releasedVersion: string;
}

function location(id: string, area: string, resourceName: string, routeTemplate: string, resourceVersion = 1): ResourceLocation {
  return { id, area, resourceName, routeTemplate, resourceVersion, minVersion: '3.0', maxVersion: '7.2', releasedVersion: '7.1' };
}

export const LOCATION_IDS = {
  resourceAreas: 'e81700f7-3be2-46de-8624-2eb35882fcaa',
  pools: 'a8c47e17-4d56-4a56-92bb-de7ea7dc65be',
  agents: 'e298ef32-5878-4cab-993c-043836571f42',
  jobRequests: 'fc825784-c92a-4299-9221-998a02d1b54f',
  sessions: '134e239e-2df3-4794-a6f6-24f1f19ec8dc',
  messages: 'c3a054f6-7a8a-49c0-944e-3a8e5d7adfd7',
  resourceUsage: 'eae1d376-a8b1-4475-9041-1dfdbe8f0143',
  oidcToken: '69a319f4-28c1-4bfd-93e6-ea0ff5c6f1a2',
} as const;

const AREAS: Record<string, ResourceLocation[]> = {
  location: [location(LOCATION_IDS.resourceAreas, 'Location', 'ResourceAreas', '_apis/{resource}/{areaId}')],
  distributedtask: [
    location(LOCATION_IDS.pools, 'distributedtask', 'pools', '_apis/{area}/{resource}/{poolId}'),
    location(LOCATION_IDS.agents, 'distributedtask', 'agents', '_apis/{area}/pools/{poolId}/{resource}/{agentId}'),
    location(LOCATION_IDS.jobRequests, 'distributedtask', 'jobrequests', '_apis/{area}/pools/{poolId}/{resource}/{requestId}'),
    location(LOCATION_IDS.sessions, 'distributedtask', 'sessions', '_apis/{area}/pools/{poolId}/{resource}/{sessionId}'),
    location(LOCATION_IDS.messages, 'distributedtask', 'messages', '_apis/{area}/pools/{poolId}/{resource}/{messageId}'),
    location(LOCATION_IDS.resourceUsage, 'distributedtask', 'resourceusage', '_apis/{area}/{resource}', 2),
    location(
      LOCATION_IDS.oidcToken,
      'distributedtask',
      'oidctoken',
      '{scopeIdentifier}/_apis/{area}/hubs/{hubName}/plans/{planId}/jobs/{jobId}/{resource}',
    ),
  ],
};

/** The locations of an area (case-insensitive name), or undefined for an area this server lacks. */
export function areaLocations(area: string): ResourceLocation[] | undefined {
  return AREAS[area.toLowerCase()];
}
