//! Loading the fixtures through the services' public RPCs.

use xiaokang::testing::TestService;
use xk_contracts::pb::{education, health, housing, registry, water};
use xk_runtime::{Bureau, Principal};

use crate::county::*;
use crate::fixtures::Fixture;

/// Loads the fixtures through the services' public RPCs.
pub async fn load(c: &County, fx: &[Fixture]) {
    fn svc(s: &Option<TestService>) -> &TestService {
        s.as_ref().unwrap()
    }
    let reg = svc(&c.registry);
    let mut rc = registry::v1::registry_service_client::RegistryServiceClient::with_interceptor(
        reg.channel().await.unwrap(),
        reg.bearer(Principal::Bureau(Bureau::PovertyOffice)),
    );
    rc.import_households(tokio_stream::iter(vec![
        registry::v1::ImportHouseholdsRequest {
            request_id: "at-risk-county".into(),
            households: fx.iter().map(Fixture::household).collect(),
        },
    ]))
    .await
    .unwrap();

    let edu = svc(&c.education);
    let mut ec = education::v1::education_service_client::EducationServiceClient::with_interceptor(
        edu.channel().await.unwrap(),
        edu.bearer(Principal::Bureau(Bureau::Education)),
    );
    let hea = svc(&c.health);
    let mut hc =
        health::v1::health_insurance_service_client::HealthInsuranceServiceClient::with_interceptor(
            hea.channel().await.unwrap(),
            hea.bearer(Principal::Bureau(Bureau::MedicalSecurity)),
        );
    hc.upsert_institution(health::v1::UpsertInstitutionRequest {
        request_id: "inst-1".into(),
        institution: Some(health::v1::Institution {
            code: "H001".into(),
            name: "谷城县人民医院".into(),
            level: health::v1::InstitutionLevel::County as i32,
            in_county: true,
            one_stop: true,
            treat_first_pay_later: true,
        }),
    })
    .await
    .unwrap();
    let hou = svc(&c.housing);
    let mut oc = housing::v1::housing_service_client::HousingServiceClient::with_interceptor(
        hou.channel().await.unwrap(),
        hou.bearer(Principal::Bureau(Bureau::Relocation)),
    );
    oc.create_site(housing::v1::CreateSiteRequest {
        request_id: "site-1".into(),
        site: Some(housing::v1::Site {
            site_id: "S-CT".into(),
            name: "安置点 S-CT".into(),
            village_code: "420625100001".into(),
            r#type: housing::v1::SiteType::CentralizedCountyTown as i32,
            etag: String::new(),
        }),
    })
    .await
    .unwrap();
    let wat = svc(&c.water);
    let mut wc = water::v1::water_service_client::WaterServiceClient::with_interceptor(
        wat.channel().await.unwrap(),
        wat.bearer(Principal::Bureau(Bureau::WaterResources)),
    );

    for f in fx {
        let h = f.household();
        if let Some(status) = f.child {
            let in_school = status == education::v1::StudentStatus::InCounty;
            ec.create_student(education::v1::CreateStudentRequest {
                request_id: format!("s{}", f.n),
                student: Some(education::v1::Student {
                    resident_id: child_id(f.n),
                    household_id: f.id(),
                    village_code: f.village.into(),
                    school: if in_school {
                        "谷城县实验小学".into()
                    } else {
                        String::new()
                    },
                    grade: if in_school { 4 } else { 0 },
                    status: status as i32,
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
        }
        for (i, (member, fen)) in f.payments.iter().enumerate() {
            let rid = h.members[*member].resident_id.clone();
            hc.enrol(health::v1::EnrolRequest {
                request_id: format!("e-{rid}"),
                enrolment: Some(health::v1::Enrolment {
                    resident_id: rid.clone(),
                    household_id: f.id(),
                    village_code: f.village.into(),
                    coverage_year: YEAR,
                    registered_poor: true,
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
            // All of it out of policy: the person pays exactly this figure.
            let settled = hc
                .settle_case(health::v1::SettleCaseRequest {
                    request_id: format!("case-{}-{i}", f.n),
                    hospital_case: Some(health::v1::HospitalCase {
                        resident_id: rid,
                        institution_code: "H001".into(),
                        admission_date: Some(date(YEAR, 3, 1)),
                        discharge_date: Some(date(YEAR, 3, 6)),
                        total_fen: *fen,
                        out_of_policy_fen: *fen,
                        chronic_outpatient: false,
                        bill_number: format!("BILL-{}-{i}", f.n),
                    }),
                })
                .await
                .unwrap()
                .into_inner();
            assert_eq!(
                settled.record.unwrap().layers.unwrap().personal_total_fen,
                *fen,
                "the fixture's payment must be exactly what health records"
            );
        }
        if let Some((labour, employed)) = f.relocated {
            let ms = housing::v1::Milestones {
                construction_start: Some(date(2017, 3, 1)),
                completion: Some(date(2017, 12, 1)),
                acceptance: Some(date(2018, 1, 10)),
                key_handover: Some(date(2018, 2, 1)),
                moved_in: Some(date(2018, 2, 15)),
                ..Default::default()
            };
            oc.create_relocation(housing::v1::CreateRelocationRequest {
                request_id: format!("r{}", f.n),
                relocation: Some(housing::v1::Relocation {
                    household_id: f.id(),
                    origin_village_code: f.village.into(),
                    site_id: "S-CT".into(),
                    batch_year: 2017,
                    members: f.size as i32,
                    labour_members: labour,
                    employed_members: employed,
                    housing: Some(housing::v1::Housing {
                        area_centi_m2: f.size as i64 * 2_000,
                        over_area_reason: String::new(),
                        build_cost_fen: 10_000_000,
                        subsidy_fen: 9_000_000,
                        self_raised_fen: 800_000,
                        other_funds_fen: 200_000,
                        debt_fen: 300_000,
                    }),
                    milestones: Some(ms),
                    old_house: Some(housing::v1::OldHouse::default()),
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
        }
        if let Some(litres) = f.litres {
            wc.record_assessment(water::v1::RecordAssessmentRequest {
                request_id: format!("w{}", f.n),
                assessment: Some(water::v1::Assessment {
                    household_id: f.id(),
                    village_code: f.village.into(),
                    people: f.size as i32,
                    supply: Some(water::v1::Supply {
                        kind: Some(water::v1::supply::Kind::Scattered(
                            water::v1::ScatteredSupply {
                                kind: water::v1::ScatteredSourceKind::Well as i32,
                            },
                        )),
                    }),
                    litres_per_person_day: Some(litres),
                    quality: Some(water::v1::QualityEvidence {
                        evidence: Some(water::v1::quality_evidence::Evidence::OnSiteCheck(
                            water::v1::OnSiteCheck {
                                no_visible_impurity_colour_smell: true,
                                no_harm_long_use: true,
                            },
                        )),
                    }),
                    piped_in: false,
                    fetch_round_trip_minutes: Some(20),
                    horizontal_distance_m: Some(1500),
                    vertical_distance_m: Some(120),
                    outage_days_last_12_months: Some(36),
                    area: 0,
                    assessor: "水利局-007".into(),
                    assessed_on: Some(date(YEAR, 5, 1)),
                    seasonal_check: false,
                    seq: 0,
                    grading: None,
                }),
            })
            .await
            .unwrap();
        }
    }
}
