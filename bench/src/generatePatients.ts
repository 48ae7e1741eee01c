// Synthetic monitored patients with NHS Numbers, deterministic from the run's seed.
import type { Patient } from '@medplum/fhirtypes';
import { NHS_NUMBER_SYSTEM, nhsNumbers } from './nhsNumber.ts';
import { hashSeed, pick, seededRandom } from './prng.ts';

const FAMILY_NAMES = [
  'Smith',
  'Jones',
  'Taylor',
  'Brown',
  'Williams',
  'Wilson',
  'Johnson',
  'Davies',
  'Patel',
  'Robinson',
  'Wright',
  'Thompson',
  'Evans',
  'Walker',
  'White',
  'Roberts',
  'Green',
  'Hall',
  'Khan',
  'Clarke',
];
const FEMALE_NAMES = [
  'Olivia',
  'Amelia',
  'Margaret',
  'Susan',
  'Patricia',
  'Aisha',
  'Joan',
  'Elizabeth',
  'Priya',
  'Ruth',
];
const MALE_NAMES = ['Oliver', 'George', 'David', 'John', 'Michael', 'Mohammed', 'Peter', 'Robert', 'Arjun', 'William'];
const TOWNS = ['Leeds', 'Bristol', 'Norwich', 'Exeter', 'York', 'Derby', 'Luton', 'Preston'];

/** A Patient for the index-th monitored person; all fields derive from (seed, index). */
export function benchPatient(index: number, nhsNumber: string, seed: number): Patient {
  const random = seededRandom(hashSeed(seed, 0x9a71e47, index));
  const female = random() < 0.5;
  const birthYear = 1935 + Math.floor(random() * 50);
  const birthMonth = 1 + Math.floor(random() * 12);
  const birthDay = 1 + Math.floor(random() * 28);
  const town = pick(random, TOWNS);
  return {
    resourceType: 'Patient',
    identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhsNumber }],
    active: true,
    name: [
      {
        use: 'official',
        family: pick(random, FAMILY_NAMES),
        given: [pick(random, female ? FEMALE_NAMES : MALE_NAMES)],
      },
    ],
    gender: female ? 'female' : 'male',
    birthDate: `${birthYear}-${String(birthMonth).padStart(2, '0')}-${String(birthDay).padStart(2, '0')}`,
    telecom: [{ system: 'phone', use: 'mobile', value: `07700 9${String(index % 100_000).padStart(5, '0')}` }],
    address: [{ use: 'home', city: town, country: 'GB' }],
  };
}

/** The first `count` benchmark patients. */
export function benchPatients(count: number, seed: number): Patient[] {
  return nhsNumbers(count).map((nhsNumber, index) => benchPatient(index, nhsNumber, seed));
}
