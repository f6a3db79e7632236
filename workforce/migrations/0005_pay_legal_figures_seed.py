"""Seed the legal figures every installation pays by: the national ones (income tax table,
basic and special additional deductions, pension and medical rates, paid days a month,
overtime multiples, leave pay) and Shaanxi's (minimum wage by class of area, unemployment
rate, contribution base floor and ceiling), each with its source. HR edits them as data:
a later row of the same figure and place replaces one from its date.

Figures marked "CHECK" in their source were seeded from the best knowledge at hand and
may have been revised since; the README and decision 0008 say so too."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

D = dt.date
TAX_SOURCE = "《个人所得税法》(2018年修正) 与国家税务总局公告2018年第61号附件《个人所得税预扣率表一》(居民个人工资、薪金所得预扣预缴适用)"
TAX_BRACKETS = [
    ("0", "0.03", "0"),
    ("36000", "0.10", "2520"),
    ("144000", "0.20", "16920"),
    ("300000", "0.25", "31920"),
    ("420000", "0.30", "52920"),
    ("660000", "0.35", "85920"),
    ("960000", "0.45", "181920"),
]
SN_MIN_WAGE = "陕西省人民政府关于调整全省最低工资标准的通知 (2023年5月1日起执行)。CHECK: 据现有资料录入，请核对是否已有新标准"
SN_BASE = (
    "陕西省人力资源和社会保障厅 年度社会保险缴费基数上下限 (全口径城镇单位就业人员平均工资的60%和300%)。"
    "CHECK: 据现有资料录入的最佳估计值，请按当年度通知核对"
)
# (code, qualifier, region, value, effective_from, source)
FIGURES = [
    ("pension_rate", "", "CN", "0.08", D(2006, 1, 1), "《国务院关于完善企业职工基本养老保险制度的决定》(国发〔2005〕38号): 个人缴费比例8%"),
    ("medical_rate", "", "CN", "0.02", D(1999, 1, 1), "《国务院关于建立城镇职工基本医疗保险制度的决定》(国发〔1998〕44号): 职工缴费率一般为本人工资收入的2%"),
    ("housing_fund_rate", "", "CN", "0.05", D(2002, 3, 24), "《住房公积金管理条例》第十八条 (缴存比例不得低于5%，原则上不高于12%): 此为最低比例，各中心应录入本中心比例"),
    ("basic_deduction", "", "CN", "5000", D(2018, 10, 1), "《个人所得税法》(2018年修正) 第六条: 每年六万元，即每月5000元"),
    ("workdays_per_month", "", "CN", "21.75", D(2008, 1, 1), "《关于职工全年月平均工作时间和工资折算问题的通知》(劳社部发〔2008〕3号): 月计薪天数21.75天"),
    ("hours_per_day", "", "CN", "8", D(1995, 5, 1), "《国务院关于职工工作时间的规定》第三条: 每日工作8小时"),
    ("overtime_rate", "overtime", "CN", "1.5", D(1995, 1, 1), "《劳动法》第四十四条第一项: 延长工作时间，不低于工资的150%"),
    ("overtime_rate", "rest_day", "CN", "2", D(1995, 1, 1), "《劳动法》第四十四条第二项: 休息日安排工作又不能安排补休的，不低于工资的200%"),
    ("overtime_rate", "holiday", "CN", "3", D(1995, 1, 1), "《劳动法》第四十四条第三项: 法定休假日安排工作的，不低于工资的300%"),
    ("deduction_limit", "children_education", "CN", "2000", D(2023, 1, 1), "《国务院关于提高个人所得税有关专项附加扣除标准的通知》(国发〔2023〕13号): 每个子女每月2000元"),
    ("deduction_limit", "infant_care", "CN", "2000", D(2023, 1, 1), "国发〔2023〕13号: 3岁以下婴幼儿照护每个婴幼儿每月2000元"),
    ("deduction_limit", "elder_care", "CN", "3000", D(2023, 1, 1), "国发〔2023〕13号: 赡养老人每月3000元 (非独生子女分摊，每人不超过1500元)"),
    ("deduction_limit", "continuing_education", "CN", "400", D(2019, 1, 1), "《个人所得税专项附加扣除暂行办法》(国发〔2018〕41号) 第八条: 学历(学位)继续教育每月400元 (职业资格证书当年3600元定额，年度汇算时扣除)"),
    ("deduction_limit", "housing_loan", "CN", "1000", D(2019, 1, 1), "国发〔2018〕41号 第十四条: 首套住房贷款利息每月1000元"),
    ("deduction_limit", "housing_rent", "CN", "1500", D(2019, 1, 1), "国发〔2018〕41号 第十七条: 直辖市、省会城市、计划单列市等每月1500元；户籍人口超过100万的其他城市1100元，不超过100万的800元 (按中心所在城市录入中心本身的限额)"),
    ("leave_pay_share", "annual", "CN", "1", D(2008, 1, 1), "《职工带薪年休假条例》第二条: 年休假期间享受与正常工作期间相同的工资收入"),
    ("leave_pay_share", "marriage", "CN", "1", D(1980, 2, 20), "〔80〕劳总薪字29号《关于国营企业职工请婚丧假和路程假问题的通知》: 婚丧假期间照发工资"),
    ("leave_pay_share", "bereavement", "CN", "1", D(1980, 2, 20), "〔80〕劳总薪字29号: 婚丧假期间照发工资"),
    ("leave_pay_share", "maternity", "CN", "1", D(2012, 4, 28), "《女职工劳动保护特别规定》第八条: 产假期间按用人单位上年度职工月平均工资支付生育津贴 (由生育保险基金支付，单位补足差额)"),
    ("leave_pay_share", "personal", "CN", "0", D(1995, 1, 1), "事假: 法律未规定支付工资，按中心制度 (默认不计薪)"),
    ("leave_pay_share", "sick", "CN", "0.8", D(1995, 8, 4), "《关于贯彻执行〈劳动法〉若干问题的意见》(劳部发〔1995〕309号) 第59条: 病假工资不得低于当地最低工资标准的80%；此处按本人工资的80%计发，中心制度更高的请修改"),
    ("min_wage_monthly", "", "CN-SN:I", "2160", D(2023, 5, 1), SN_MIN_WAGE + " 一类工资区 月最低工资2160元"),
    ("min_wage_monthly", "", "CN-SN:II", "2050", D(2023, 5, 1), SN_MIN_WAGE + " 二类工资区 月最低工资2050元"),
    ("min_wage_monthly", "", "CN-SN:III", "1950", D(2023, 5, 1), SN_MIN_WAGE + " 三类工资区 月最低工资1950元"),
    ("min_wage_hourly", "", "CN-SN:I", "21", D(2023, 5, 1), SN_MIN_WAGE + " 一类 非全日制小时最低工资21元"),
    ("min_wage_hourly", "", "CN-SN:II", "20", D(2023, 5, 1), SN_MIN_WAGE + " 二类 非全日制小时最低工资20元"),
    ("min_wage_hourly", "", "CN-SN:III", "19", D(2023, 5, 1), SN_MIN_WAGE + " 三类 非全日制小时最低工资19元"),
    ("unemployment_rate", "", "CN-SN", "0.003", D(2019, 5, 1), "陕西省阶段性降低失业保险费率 (总费率1%，单位0.7%、个人0.3%)。CHECK: 请核对现行文件"),
    ("contribution_base_floor", "", "CN-SN", "4254", D(2024, 7, 1), SN_BASE + " 下限4254元"),
    ("contribution_base_ceiling", "", "CN-SN", "21270", D(2024, 7, 1), SN_BASE + " 上限21270元"),
    ("housing_fund_base_floor", "", "CN-SN:I", "2160", D(2023, 5, 1), "住房公积金月缴存基数不得低于当地最低工资标准 (陕西一类2160元)。CHECK: 以所在市住房公积金管理中心通知为准"),
    ("housing_fund_base_floor", "", "CN-SN:II", "2050", D(2023, 5, 1), "住房公积金月缴存基数不得低于当地最低工资标准 (陕西二类2050元)。CHECK: 以所在市住房公积金管理中心通知为准"),
    ("housing_fund_base_floor", "", "CN-SN:III", "1950", D(2023, 5, 1), "住房公积金月缴存基数不得低于当地最低工资标准 (陕西三类1950元)。CHECK: 以所在市住房公积金管理中心通知为准"),
    ("housing_fund_base_ceiling", "", "CN-SN", "21270", D(2024, 7, 1), "住房公积金月缴存基数上限为所在设区城市上年度职工月平均工资的3倍；此处取陕西社保基数上限作为估计。CHECK: 以所在市住房公积金管理中心通知为准"),
]
QUALITY_TIERS = [("0.98", "1.10"), ("0.95", "1.00"), ("0.90", "0.95"), ("0", "0.90")]


def seed(apps, schema_editor):
    LegalFigure = apps.get_model("workforce", "LegalFigure")
    TaxBracket = apps.get_model("workforce", "TaxBracket")
    QualityTier = apps.get_model("workforce", "QualityTier")
    for code, qualifier, region, value, effective_from, source in FIGURES:
        LegalFigure.objects.get_or_create(
            code=code,
            qualifier=qualifier,
            region=region,
            centre=None,
            effective_from=effective_from,
            defaults={"value": Decimal(value), "source": source},
        )
    for lower, rate, quick in TAX_BRACKETS:
        TaxBracket.objects.get_or_create(
            effective_from=D(2019, 1, 1),
            lower=Decimal(lower),
            defaults={"rate": Decimal(rate), "quick_deduction": Decimal(quick), "source": TAX_SOURCE},
        )
    # The network's default tiers (decision 0008), unless tiers were seeded already.
    if not QualityTier.objects.filter(centre__isnull=True).exists():
        QualityTier.objects.bulk_create(
            QualityTier(
                centre=None,
                min_score=Decimal(score),
                multiplier=Decimal(multiplier),
                effective_from=D(2024, 1, 1),
                source="爱豆网络默认质量系数 (决定记录0008)",
            )
            for score, multiplier in QUALITY_TIERS
        )


def unseed(apps, schema_editor):
    LegalFigure = apps.get_model("workforce", "LegalFigure")
    TaxBracket = apps.get_model("workforce", "TaxBracket")
    for code, qualifier, region, _value, effective_from, _source in FIGURES:
        LegalFigure.objects.filter(
            code=code, qualifier=qualifier, region=region, centre=None, effective_from=effective_from
        ).delete()
    TaxBracket.objects.filter(effective_from=D(2019, 1, 1), source=TAX_SOURCE).delete()


class Migration(migrations.Migration):
    dependencies = [("workforce", "0004_scheduling_and_pay")]

    operations = [migrations.RunPython(seed, unseed)]
