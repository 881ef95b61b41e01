/**
 * Parts of the shipped rulebooks that both versions share: sectors, the technology lists of
 * Decree 76/2018/NĐ-CP, the used-machinery rules of Decision 18/2019/QĐ-TTg (Appendix I as
 * replaced by Decision 28/2022/QĐ-TTg), dossier components (Art. 16) and criteria (Art. 19).
 * Each version file passes what differs (citations of the Investment Law in force, notes).
 *
 * Source: reference/legal-basis.md. Everything it marks "verify" is `verified: false` here, with a
 * note saying what to confirm against the gazette.
 */
import type {
  AgeException,
  Component,
  Criterion,
  EnvironmentalGroupRule,
  ListEntry,
  RulebookContent,
  Sector,
  UsedMachineryRules,
} from './rulebook.schema';

export const LAW = 'Law 07/2017/QH14';
export const D76 = 'Decree 76/2018/NĐ-CP';
export const D18 = 'Decision 18/2019/QĐ-TTg';
export const D28 = 'Decision 28/2022/QĐ-TTg';
export const D31 = 'Decree 31/2021/NĐ-CP';
export const D69 = 'Decree 69/2018/NĐ-CP';

export const SECTORS: Sector[] = [
  { code: 'mechanical_engineering', name: 'Mechanical engineering and fabrication', nameVi: 'Cơ khí chế tạo' },
  { code: 'wood_processing', name: 'Wood processing', nameVi: 'Chế biến gỗ' },
  { code: 'pulp_paper', name: 'Pulp and paper', nameVi: 'Sản xuất bột giấy và giấy' },
  { code: 'cement', name: 'Cement', nameVi: 'Xi măng' },
  { code: 'construction_materials', name: 'Construction materials', nameVi: 'Vật liệu xây dựng' },
  { code: 'chemicals', name: 'Chemicals', nameVi: 'Hóa chất' },
  { code: 'mining', name: 'Mining and mineral processing', nameVi: 'Khai khoáng' },
  { code: 'metallurgy', name: 'Metallurgy', nameVi: 'Luyện kim' },
  { code: 'energy', name: 'Energy', nameVi: 'Năng lượng' },
  { code: 'textiles', name: 'Textiles and garments', nameVi: 'Dệt may' },
  { code: 'food_processing', name: 'Food processing', nameVi: 'Chế biến thực phẩm' },
  { code: 'aquaculture_seafood', name: 'Aquaculture and seafood processing', nameVi: 'Nuôi trồng và chế biến thủy sản' },
  { code: 'electronics', name: 'Electronics', nameVi: 'Điện tử' },
  { code: 'automotive', name: 'Motor vehicles and parts', nameVi: 'Ô tô, xe máy và phụ tùng' },
  { code: 'printing', name: 'Printing', nameVi: 'In' },
  { code: 'healthcare', name: 'Health care and medical equipment', nameVi: 'Y tế và thiết bị y tế' },
  { code: 'other', name: 'Other sectors', nameVi: 'Ngành khác' },
];

const LEP = 'Law on Environmental Protection 72/2020/QH14, Art. 28';
const LEP_NOTE = 'The grouping of projects (I–IV) is in Art. 28 and Appendices III–V of Decree 08/2022/NĐ-CP: verify the article and the appendix row for the project.';
export const ENVIRONMENTAL_GROUPS: EnvironmentalGroupRule[] = [
  { group: 'I', risk: true, description: 'High risk of adverse environmental impact', citation: LEP, verified: false, note: LEP_NOTE },
  { group: 'II', risk: true, description: 'Risk of adverse environmental impact', citation: LEP, verified: false, note: LEP_NOTE },
  {
    group: 'III',
    risk: false,
    description: 'Low risk of adverse environmental impact',
    citation: LEP,
    verified: false,
    note: 'Group III is "low risk"; whether it counts as a risk under Art. 13.2(b) is a judgement of the reviewing body, here taken as no risk: confirm.',
  },
  { group: 'IV', risk: false, description: 'No risk of adverse environmental impact', citation: LEP, verified: false, note: LEP_NOTE },
];

// ---------------------------------------------------------------------------------------------
// Lists (Decree 76/2018 Art. 3, Appendices I–III). The wordings are those of the predecessor lists
// (Decree 120/2014) quoted in the legal basis; the full appendix rows were not obtained.

const LIST_NOTE = 'Wording carried from the predecessor list (Decree 120/2014/NĐ-CP); confirm the row and its wording against the current appendix.';
const PROHIBITED = `${LAW}, Art. 11; ${D76}, Art. 3, Appendix III`;
const RESTRICTED = `${LAW}, Art. 10; ${D76}, Art. 3, Appendix II`;
const ENCOURAGED = `${LAW}, Art. 9; ${D76}, Art. 3, Appendix I`;

const entry = (e: Omit<ListEntry, 'citation' | 'verified' | 'note'> & { note?: string }, citation: string): ListEntry => ({
  ...e,
  citation,
  verified: false,
  note: e.note ? `${e.note} ${LIST_NOTE}` : LIST_NOTE,
});

export const PROHIBITED_LIST: ListEntry[] = [
  entry(
    {
      id: 'vertical_kiln_cement',
      field: 'Vật liệu xây dựng (construction materials)',
      wording: 'Công nghệ sản xuất xi măng lò đứng',
      name: 'Vertical-kiln cement production',
      aliases: ['vertical kiln cement', 'vertical shaft kiln cement', 'shaft kiln cement', 'VSK cement', 'xi măng lò đứng', 'clinker lò đứng', 'lò nung clinker kiểu đứng'],
    },
    PROHIBITED,
  ),
  entry(
    {
      id: 'wet_process_rotary_kiln_cement',
      field: 'Vật liệu xây dựng (construction materials)',
      wording: 'Công nghệ sản xuất xi măng lò quay bằng phương pháp ướt',
      name: 'Wet-process rotary-kiln cement production',
      aliases: ['wet process rotary kiln cement', 'wet rotary kiln cement', 'xi măng lò quay phương pháp ướt', 'xi măng lò quay ướt', 'clinker phương pháp ướt'],
      note: 'Dry-process rotary kilns are not on the list.',
    },
    PROHIBITED,
  ),
  entry(
    {
      id: 'mercury_electrode_electrolysis',
      field: 'Hóa chất (chemicals)',
      wording: 'Công nghệ điện phân dùng điện cực thủy ngân',
      name: 'Electrolysis with mercury electrodes',
      aliases: [
        'mercury electrode electrolysis',
        'mercury cell electrolysis',
        'mercury cathode electrolysis',
        'mercury cell chlor-alkali',
        'chlor-alkali mercury cell',
        'castner kellner',
        'điện phân điện cực thủy ngân',
        'điện phân catot thủy ngân',
        'xút clo điện cực thủy ngân',
      ],
      note: 'Membrane and diaphragm cells are not on the list.',
    },
    PROHIBITED,
  ),
  entry(
    {
      id: 'mercury_small_scale_gold_mining',
      field: 'Khai khoáng (mining)',
      wording: 'Công nghệ sử dụng thủy ngân trong khai thác vàng quy mô nhỏ',
      name: 'Mercury in small-scale gold mining',
      aliases: [
        'mercury in small scale gold mining',
        'mercury gold amalgamation',
        'gold amalgamation with mercury',
        'gold recovery with mercury',
        'artisanal gold mining with mercury',
        'thủy ngân trong khai thác vàng',
        'tuyển vàng bằng thủy ngân',
        'thu hồi vàng bằng thủy ngân',
        'tách vàng bằng thủy ngân',
      ],
    },
    PROHIBITED,
  ),
  entry(
    {
      id: 'two_stroke_engines_motor_vehicles',
      field: 'Cơ khí, giao thông (engineering, transport)',
      wording: 'Công nghệ sản xuất động cơ 2 kỳ dùng cho xe cơ giới',
      name: 'Two-stroke engines for motor vehicles',
      aliases: ['two stroke engine for motor vehicles', 'two stroke motorcycle engine', 'two stroke motorcycle', 'two stroke motorbike', 'động cơ 2 kỳ cho xe máy', 'xe máy 2 kỳ', 'xe máy động cơ 2 kỳ', 'động cơ 2 kỳ cho phương tiện giao thông cơ giới'],
      note: 'Two-stroke engines for other uses (garden tools, outboards) are not this entry.',
    },
    PROHIBITED,
  ),
  entry(
    {
      id: 'cars_below_euro_2',
      field: 'Cơ khí, giao thông (engineering, transport)',
      wording: 'Công nghệ sản xuất ôtô không đáp ứng công nghệ khí thải Euro 2',
      name: 'Cars not meeting the Euro 2 emission standard',
      aliases: ['cars below euro 2', 'cars not meeting euro 2', 'vehicles below euro 2 emission standard', 'ô tô dưới tiêu chuẩn Euro 2', 'ô tô không đạt Euro 2', 'ô tô khí thải dưới Euro 2'],
    },
    PROHIBITED,
  ),
  entry(
    {
      id: 'lead_type_printing',
      field: 'In (printing)',
      wording: 'Công nghệ in, sắp chữ bằng bản chì',
      name: 'Printing and typesetting with lead type',
      aliases: ['lead type printing', 'lead type typesetting', 'hot metal typesetting', 'in chữ chì', 'sắp chữ chì', 'in typo chữ chì', 'in bản chì'],
    },
    PROHIBITED,
  ),
  entry(
    {
      id: 'human_reproductive_cloning',
      field: 'Y sinh (biomedicine)',
      wording: 'Công nghệ nhân bản vô tính phôi người',
      name: 'Cloning of human embryos',
      aliases: ['human reproductive cloning', 'human embryo cloning', 'cloning human embryos', 'nhân bản vô tính người', 'nhân bản phôi người'],
    },
    PROHIBITED,
  ),
  entry(
    {
      id: 'narcotics_synthesis',
      field: 'Hóa dược (pharmaceutical chemistry)',
      wording: 'Công nghệ điều chế chất ma túy',
      name: 'Synthesis of narcotic drugs',
      aliases: ['narcotics synthesis', 'narcotic drug synthesis', 'illicit drug synthesis', 'điều chế ma túy', 'sản xuất ma túy'],
    },
    PROHIBITED,
  ),
  entry(
    {
      id: 'pentachlorophenol_wood_preservatives',
      field: 'Chế biến gỗ (wood processing)',
      wording: 'Công nghệ sản xuất thuốc bảo quản gỗ chứa pentachlorophenol',
      name: 'Wood preservatives containing pentachlorophenol',
      aliases: ['pentachlorophenol wood preservative', 'PCP wood preservative', 'thuốc bảo quản gỗ pentachlorophenol', 'thuốc bảo quản gỗ PCP', 'thuốc bảo quản gỗ chứa PCP', 'bảo quản gỗ bằng pentachlorophenol'],
    },
    PROHIBITED,
  ),
];

export const RESTRICTED_LIST: ListEntry[] = [
  entry(
    {
      id: 'industrial_explosives_production',
      field: 'Hóa chất (chemicals)',
      wording: 'Công nghệ sản xuất vật liệu nổ công nghiệp',
      name: 'Production of industrial explosives',
      aliases: ['industrial explosives production', 'manufacture of industrial explosives', 'explosives manufacturing', 'sản xuất thuốc nổ công nghiệp'],
      note: 'Making explosives; using them (quarry blasting) is not this entry.',
    },
    RESTRICTED,
  ),
  entry(
    {
      id: 'chrysotile_asbestos_building_materials',
      field: 'Vật liệu xây dựng (construction materials)',
      wording: 'Công nghệ sản xuất vật liệu xây dựng sử dụng amiăng trắng (chrysotile)',
      name: 'Building materials with chrysotile (white) asbestos',
      aliases: ['chrysotile asbestos building materials', 'white asbestos building materials', 'asbestos cement sheets', 'asbestos cement roofing', 'tấm lợp amiăng', 'tấm lợp fibro xi măng', 'vật liệu xây dựng amiăng trắng', 'tấm lợp amiăng trắng'],
    },
    RESTRICTED,
  ),
  entry(
    {
      id: 'tio2_sulphuric_acid_process',
      field: 'Hóa chất (chemicals)',
      wording: 'Công nghệ sản xuất bột màu TiO2 bằng phương pháp axit sunfuric',
      name: 'TiO2 pigment by the sulphuric-acid process',
      aliases: ['TiO2 sulphate process', 'titanium dioxide sulphate process', 'titanium dioxide by the sulphuric acid process', 'TiO2 sulphuric acid process', 'titan dioxit phương pháp axit sunfuric', 'TiO2 phương pháp sunfat'],
      note: 'The chloride process is not on the list.',
    },
    RESTRICTED,
  ),
  entry(
    {
      id: 'toxic_chemicals_aquaculture_seafood',
      field: 'Thủy sản (fisheries)',
      wording: 'Công nghệ sử dụng hóa chất độc hại trong nuôi trồng, chế biến thủy sản',
      name: 'Toxic chemicals in aquaculture and seafood processing',
      aliases: ['toxic chemicals in aquaculture', 'toxic chemicals in seafood processing', 'hóa chất độc hại trong nuôi trồng thủy sản', 'hóa chất độc hại trong chế biến thủy sản'],
    },
    RESTRICTED,
  ),
  entry(
    {
      id: 'cars_below_euro_3',
      field: 'Cơ khí, giao thông (engineering, transport)',
      wording: 'Công nghệ sản xuất ô tô không đáp ứng tiêu chuẩn khí thải Euro 3',
      name: 'Cars not meeting the Euro 3 emission standard',
      aliases: ['cars below euro 3', 'cars not meeting euro 3', 'ô tô dưới tiêu chuẩn Euro 3', 'ô tô không đạt Euro 3'],
    },
    RESTRICTED,
  ),
  entry(
    {
      id: 'hull_cleaning_nix_grit',
      field: 'Đóng tàu (shipbuilding)',
      wording: 'Công nghệ làm sạch vỏ tàu bằng hạt mài Nix',
      name: 'Ship-hull cleaning with Nix grit',
      aliases: ['ship hull cleaning with nix grit', 'hull blasting with nix grit', 'nix grit blasting', 'làm sạch vỏ tàu bằng hạt nix', 'phun hạt nix làm sạch vỏ tàu'],
    },
    RESTRICTED,
  ),
  entry(
    {
      id: 'small_ceramic_tile_plants',
      field: 'Vật liệu xây dựng (construction materials)',
      wording: 'Công nghệ sản xuất gạch ốp lát có công suất dưới 2 triệu m²/năm',
      name: 'Floor and wall tile plants below 2 million m² a year',
      aliases: ['ceramic floor and wall tiles', 'ceramic tile production', 'floor tile plant', 'wall tile plant', 'sản xuất gạch ốp lát', 'gạch men ốp lát', 'gạch ốp lát'],
      conditions: [{ figure: 'annual_capacity_m2', op: 'lt', value: 2_000_000, unit: 'm²/year', text: 'có công suất dưới 2 triệu m²/năm (capacity below 2 million m² a year)' }],
    },
    RESTRICTED,
  ),
  entry(
    {
      id: 'float_glass_high_heat',
      field: 'Vật liệu xây dựng (construction materials)',
      wording: 'Công nghệ sản xuất kính nổi có mức tiêu hao nhiệt năng lớn hơn 7.500 kJ/kg thủy tinh',
      name: 'Float glass with heat consumption above 7,500 kJ/kg of glass',
      aliases: ['float glass production', 'float glass line', 'sản xuất kính nổi', 'dây chuyền kính nổi'],
      conditions: [{ figure: 'heat_consumption_kj_per_kg', op: 'gt', value: 7500, unit: 'kJ/kg', text: 'tiêu hao nhiệt năng lớn hơn 7.500 kJ/kg thủy tinh (heat consumption above 7,500 kJ/kg of glass)' }],
      note: 'The threshold figure is a placeholder from the legal basis ("float glass above a consumption figure").',
    },
    RESTRICTED,
  ),
];

export const ENCOURAGED_LIST: ListEntry[] = [
  entry({ id: 'high_technology', field: 'Công nghệ cao (high technology)', wording: 'Công nghệ cao thuộc Danh mục công nghệ cao được ưu tiên đầu tư phát triển', name: 'High technology', aliases: ['high technology', 'high tech', 'công nghệ cao'] }, ENCOURAGED),
  entry({ id: 'energy_saving', field: 'Năng lượng (energy)', wording: 'Công nghệ tiết kiệm năng lượng, tài nguyên', name: 'Energy- and resource-saving technology', aliases: ['energy saving technology', 'resource saving technology', 'tiết kiệm năng lượng'] }, ENCOURAGED),
  entry({ id: 'renewable_energy', field: 'Năng lượng (energy)', wording: 'Công nghệ sản xuất năng lượng tái tạo', name: 'Renewable energy', aliases: ['renewable energy', 'solar power', 'wind power', 'năng lượng tái tạo', 'điện mặt trời', 'điện gió'] }, ENCOURAGED),
];

// ---------------------------------------------------------------------------------------------
// Used machinery

const APPX_NOTE = 'Row of Appendix I (HS 2022 headings, Decision 28/2022/QĐ-TTg) as summarised in the legal basis; confirm the heading and its limit against the appendix.';
const exception = (hsHeading: string, description: string, field: string, maxAgeYears: number): AgeException => ({
  hsHeading,
  description,
  field,
  maxAgeYears,
  citation: `${D18}, Art. 6.1 and Appendix I (replaced by ${D28})`,
  verified: false,
  note: APPX_NOTE,
});

export const AGE_EXCEPTIONS: AgeException[] = [
  exception('8456', 'Machine tools working by laser, electro-discharge and similar processes', 'mechanical engineering', 15),
  exception('8457', 'Machining centres, unit construction machines', 'mechanical engineering', 15),
  exception('8458', 'Lathes for removing metal', 'mechanical engineering', 20),
  exception('8459', 'Drilling, boring and milling machines', 'mechanical engineering', 15),
  exception('8460', 'Grinding and finishing machines', 'mechanical engineering', 15),
  exception('8462', 'Forging, bending, shearing and pressing machines', 'mechanical engineering', 15),
  exception('846221', 'Numerically controlled bending and folding machines for flat products', 'mechanical engineering', 20),
  exception('8465', 'Machine tools for working wood', 'wood processing', 15),
  exception('8439', 'Machinery for making pulp, paper or paperboard', 'pulp and paper', 20),
  exception('8441', 'Machinery for making up paper pulp, paper or paperboard', 'pulp and paper', 15),
];

export const usedMachinery = (opts: { note?: string } = {}): UsedMachineryRules => ({
  scope: { hsChapters: [84, 85], citation: `${D18}, Art. 1–2`, verified: true, ...(opts.note ? { verified: false, note: opts.note } : {}) },
  bannedUsedGoods: [
    {
      id: 'used_it_products',
      description: 'Used information-technology and digital products (computers, printers, telephones, monitors)',
      hsPrefixes: ['8471', '844331', '844332', '8517', '852852', '852862'],
      citation: `${D69}, Art. 5, Appendix I (replaced by Decree 292/2026/NĐ-CP from 2026-09-05)`,
      verified: false,
      note: 'HS rows of the banned list summarised; confirm against the appendix in force (Decree 292/2026/NĐ-CP).',
    },
    {
      id: 'used_medical_equipment',
      description: 'Used medical equipment',
      hsPrefixes: ['9018', '9019', '9020', '9021', '9022'],
      citation: `${D69}, Art. 5, Appendix I (replaced by Decree 292/2026/NĐ-CP from 2026-09-05)`,
      verified: false,
      note: 'HS rows of the banned list summarised; confirm against the appendix in force (Decree 292/2026/NĐ-CP).',
    },
  ],
  age: { maxAgeYears: 10, citation: `${D18}, Art. 6.1`, verified: true },
  ageExceptions: AGE_EXCEPTIONS,
  standards: {
    primary: ['QCVN'],
    // G7 national standards (US, UK, France, Germany, Italy, Japan, Canada) and Korea's.
    fallback: ['TCVN', 'ANSI', 'ASTM', 'ASME', 'UL', 'BS', 'NF', 'DIN', 'UNI', 'JIS', 'CSA', 'KS'],
    notNational: ['ISO', 'IEC', 'EN'],
    citation: `${D18}, Art. 6.2 (single machines) and Art. 7 (technological lines)`,
    verified: true,
  },
  lines: {
    minRemainingCapacityPct: 85,
    maxConsumptionVsDesignPct: 115,
    minOecdFactories: 3,
    citation: `${D18}, Art. 7`,
    verified: false,
    note: 'Thresholds sourced; the article number of the line rules (and of the 3 OECD factories condition) was not obtained: verify.',
  },
  evidence: {
    documents: [
      { id: 'manufacturer_certificate', title: "Manufacturer's certificate of the year of manufacture and the standards met", titleVi: 'Giấy chứng nhận của nhà sản xuất về năm sản xuất và tiêu chuẩn' },
      { id: 'inspection_certificate', title: 'Inspection certificate (chứng thư giám định) of an appointed inspection body', titleVi: 'Chứng thư giám định' },
    ],
    citation: `${D18}, Art. 8`,
    verified: false,
    note: 'The two kinds of evidence are sourced; the article number was not obtained: verify.',
  },
  termExtension: { hsChapters: [84, 85], maxAgeYears: 10, citation: `${D31}, Art. 27`, verified: true },
});

// ---------------------------------------------------------------------------------------------
// Dossier (Art. 16) and criteria (Art. 19)

export function dossierComponents(investmentLaw: { citation: string; verified: boolean; note?: string }): RulebookContent['dossierComponents'] {
  const c = (id: string, title: string, titleVi: string, point: string, required: boolean, requiredWhen?: Component['requiredWhen']): Component => ({
    id,
    title,
    titleVi,
    required,
    ...(requiredWhen ? { requiredWhen } : {}),
    citation: `${LAW}, Art. ${point}`,
    verified: true,
  });
  return {
    investment_policy: [
      {
        id: 'investment_registration_application',
        title: 'Investment-policy application (investment project proposal) under the Investment Law in force',
        titleVi: 'Hồ sơ đề nghị chấp thuận chủ trương đầu tư',
        required: true,
        citation: investmentLaw.citation,
        verified: investmentLaw.verified,
        ...(investmentLaw.note ? { note: investmentLaw.note } : {}),
      },
      c('technology_option_analysis', 'Analysis and choice of the technology option', 'Phân tích, lựa chọn phương án công nghệ', '16.1(a)', true),
      c('technology_name_origin_process', 'Technology name, origin and process flow diagram', 'Tên, xuất xứ công nghệ, sơ đồ quy trình công nghệ', '16.1(b)', true),
      c('machinery_list', 'Proposed list of the main machinery and equipment', 'Danh mục máy móc, thiết bị chính dự kiến', '16.1(b)', true),
      c('proof_of_proven_technology', 'Proof that the technology is proven (if any)', 'Tài liệu chứng minh công nghệ đã được kiểm chứng (nếu có)', '16.1(c)', false),
      c('training_support_plan', 'Training and technical-support plan (if any)', 'Phương án đào tạo, hỗ trợ kỹ thuật (nếu có)', '16.1(d)', false),
      c('technology_use_conditions', 'Conditions for using the technology', 'Điều kiện sử dụng công nghệ', '16.1(e)', true),
      c('environmental_impact_preliminary', 'Preliminary environmental impact of the technology (if any)', 'Đánh giá sơ bộ tác động môi trường của công nghệ (nếu có)', '16.1(f)', false, 'environmental_risk'),
      c('draft_transfer_contract', 'Draft technology transfer contract (where technology is contributed as capital)', 'Dự thảo hợp đồng chuyển giao công nghệ (trường hợp góp vốn bằng công nghệ)', '16.1(g)', false, 'technology_contributed_as_capital'),
    ],
    investment_decision: [
      c('technology_name_origin_process', 'Technology name, origin and process diagram', 'Tên, xuất xứ công nghệ, sơ đồ quy trình công nghệ', '16.2(a)', true),
      c('machinery_list', 'List, condition and specifications of the machinery and equipment', 'Danh mục, tình trạng, thông số kỹ thuật của máy móc, thiết bị', '16.2(a)', true),
      c('products_standards_quality', 'Products, applicable standards and quality', 'Sản phẩm, tiêu chuẩn và chất lượng sản phẩm', '16.2(b)', true),
      c('raw_materials_supply', 'Supply of raw materials, fuel and materials', 'Phương án cung cấp nguyên liệu, nhiên liệu, vật liệu', '16.2(c)', true),
      c('training_programme', 'Training and technical support', 'Đào tạo, hỗ trợ kỹ thuật', '16.2(d)', true),
      c('technology_cost', 'Investment cost of technology, machinery, training and technical support', 'Chi phí đầu tư cho công nghệ, máy móc, thiết bị, đào tạo, hỗ trợ kỹ thuật', '16.2(đ)', true),
    ],
  };
}

export function criteria(): RulebookContent['criteria'] {
  const k = (id: string, title: string, titleVi: string, point: string, extra: Partial<Criterion> = {}): Criterion => ({ id, title, titleVi, citation: `${LAW}, Art. ${point}`, verified: true, ...extra });
  return {
    investment_policy: [
      k('technology_option_suitability', 'Suitability of the chosen technology option', 'Sự phù hợp của phương án công nghệ được lựa chọn', '19.1(a)'),
      k('developed_country_use_evidence', 'Evidence of use of the technology in developed countries (if any)', 'Bằng chứng công nghệ đã được sử dụng ở các nước phát triển (nếu có)', '19.1(b)'),
      k('training_technical_support', 'Training and technical support (if any)', 'Đào tạo, hỗ trợ kỹ thuật (nếu có)', '19.1(c)'),
      k('technology_use_conditions_met', 'Conditions for using the technology are met', 'Đáp ứng điều kiện sử dụng công nghệ', '19.1(d)'),
      k('environmental_impact_preliminary_assessment', 'Preliminary environmental impact of the technology', 'Tác động sơ bộ của công nghệ đến môi trường', '19.1(đ)'),
      k('draft_transfer_contract_review', 'Draft technology transfer contract (if any)', 'Dự thảo hợp đồng chuyển giao công nghệ (nếu có)', '19.1(e)'),
      k('high_tech_criteria', 'High-technology criteria, for projects in high-tech zones', 'Tiêu chí công nghệ cao đối với dự án trong khu công nghệ cao', '19.1(g)', { appliesWhen: 'high_tech_zone' }),
    ],
    investment_decision: [
      k('fit_with_option_and_standards', 'Fit of technology and machinery with the chosen option and with TCVN / QCVN', 'Sự phù hợp của công nghệ, máy móc, thiết bị với phương án đã chọn và TCVN, QCVN', '19.2(a)'),
      k('products_quality', 'Products and their quality', 'Sản phẩm và chất lượng sản phẩm', '19.2(b)'),
      k('raw_materials_fuel', 'Raw materials, fuel and materials', 'Nguyên liệu, nhiên liệu, vật liệu', '19.2(c)'),
      k('training_programme_review', 'Training and technical support', 'Đào tạo, hỗ trợ kỹ thuật', '19.2(d)'),
      k('investment_cost', 'Investment cost of technology, machinery, training and technical support', 'Chi phí đầu tư công nghệ, máy móc, thiết bị và đào tạo', '19.2(đ)'),
    ],
  };
}

export const APPRAISAL_RULES: RulebookContent['appraisal'] = {
  opinion: { minAppraisers: 1 },
  council: { minMembers: 5, quorumFraction: 2 / 3, majorityFraction: 0.5 },
  basis: 'local_policy',
  citation: `${LAW}, Art. 20.1 (the reviewing body may convene a council of experts); size, quorum and majority: provincial working rules`,
  verified: false,
  note: 'Council size, quorum and majority have no statutory source (Decree 76/2018 does not detail Chapter II): local policy, labelled so.',
};
